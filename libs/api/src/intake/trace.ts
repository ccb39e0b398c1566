import type { TraceContext } from '@parc/envelope';
import {
  SAMPLED_FLAG,
  SPAN_ATTRIBUTES,
  SpanKind,
  cleanTracestate,
  parseTraceparent,
  spanContextOf,
  startRequestSpan,
  traceContextOf,
  traceContextOfSpan,
  type Span,
  type TraceIds,
  type Traceparent,
  type Tracing,
} from '@parc/tracing';
import type { SubmissionIds } from './converter';

/** The client's trace context, as its POST carried it. */
export interface ClientTrace {
  readonly parent: Traceparent;
  readonly tracestate?: string;
}

/** The client's `traceparent` (when valid, W3C version 00) and `tracestate` headers. */
export function clientTraceOf(headers: Readonly<Record<string, string | string[] | undefined>>): ClientTrace | undefined {
  const traceparent = headers['traceparent'];
  const parent = parseTraceparent(typeof traceparent === 'string' ? traceparent : undefined);
  if (parent === undefined) return undefined;
  const raw = headers['tracestate'];
  const tracestate = cleanTracestate(Array.isArray(raw) ? raw.join(',') : raw);
  return tracestate === undefined ? { parent } : { parent, tracestate };
}

/** A request's trace at intake: its trace id, the context the envelope carries, and its accept span (tracing on). */
export interface AcceptTrace {
  readonly traceId: string;
  readonly trace: TraceContext;
  readonly span?: Span;
}

/**
 * The trace of one accepted request (docs/tracing.md). A single request continues the client's
 * trace; every request of a larger submission starts its own. With tracing on, the request's
 * `proxy accept` span is its parent for every later stage: a child of the client's span, or the
 * root of the new trace with a link to the client's span. With tracing off no span exists, and
 * the envelope names the trace with a fresh span id (cheap: pooled random bytes), so logs, the
 * target and the callback still carry one.
 */
export function acceptTrace(tracing: Tracing, ids: TraceIds, submission: SubmissionIds): AcceptTrace {
  const client = submission.client;
  const continues = submission.oneRequest === true && client !== undefined ? client : undefined;
  if (!tracing.enabled) {
    const traceId = continues?.parent.traceId ?? ids.traceId();
    const parent = { traceId, spanId: ids.spanId(), flags: continues?.parent.flags ?? SAMPLED_FLAG };
    return { traceId, trace: traceContextOf(parent, continues?.tracestate) };
  }
  const span = startRequestSpan(tracing, 'proxy accept', continues === undefined ? undefined : traceContextOf(continues.parent, continues.tracestate), {
    kind: SpanKind.SERVER,
    attributes: { [SPAN_ATTRIBUTES.batchId]: submission.batchId },
    ...(client !== undefined && continues === undefined ? { links: [{ context: spanContextOf(client.parent, client.tracestate) }] } : {}),
  });
  return { traceId: span.spanContext().traceId, trace: traceContextOfSpan(span, continues?.tracestate), span };
}

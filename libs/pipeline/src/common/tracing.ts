import { isParcError } from '@parc/errors';
import { parseEnvelope, type AttemptRecord, type Envelope, type TraceContext } from '@parc/envelope';
import { SPAN_ATTRIBUTES, SpanGroup, SpanKind, endSpan, startRequestSpan, traceContextOfSpan, urlForSpan, type Span, type Tracing } from '@parc/tracing';
import type { BatchOutput } from './output';
import type { StageContext } from './stage-options';

/**
 * The stages' spans (docs/tracing.md): one per request per stage, a child of the request's
 * accept span (the envelope's trace context). Every function here is called only after the
 * caller checked `tracing.enabled`, so with tracing off none of this runs.
 */

/**
 * A group for the spans of one batch, ended when the batch settles: its output durable, or the
 * batch failed and will be redelivered (the spans then end with the error). `undefined` when
 * tracing is off: callers write `spans?.add(...)` and do no span work at all.
 */
export function batchSpans(ctx: StageContext, out: BatchOutput): SpanGroup | undefined {
  if (!ctx.tracing.enabled) return undefined;
  const spans = new SpanGroup();
  out.onSettled((error) => spans.end(error));
  return spans;
}

/** A stage's span for one request read from a queue: kind CONSUMER, named after the stage, what became of the request in `parc.outcome`. */
export function requestSpan(tracing: Tracing, stage: string, request: SpannedRequest, outcome: string): Span {
  return startRequestSpan(tracing, stage, request.trace, {
    kind: SpanKind.CONSUMER,
    attributes: {
      [SPAN_ATTRIBUTES.requestId]: request.id,
      ...(request.batchId === undefined ? {} : { [SPAN_ATTRIBUTES.batchId]: request.batchId }),
      [SPAN_ATTRIBUTES.outcome]: outcome,
    },
  });
}

/** What a request's span is made from: an envelope, a responses header, a callback job. */
export interface SpannedRequest {
  readonly id: string;
  readonly batchId?: string;
  readonly trace?: TraceContext;
}

/**
 * The envelope of a wire form, for proxy-store's spans: it otherwise passes payloads on unparsed.
 * Text that is not an envelope gives `undefined`: its span starts a trace of its own, and the
 * entry is routed all the same (proxy-store never holds up what the proxy accepted).
 */
export function envelopeOfPayload(payload: string): Envelope | undefined {
  try {
    return parseEnvelope(payload);
  } catch (error) {
    if (isParcError(error)) return undefined;
    throw error;
  }
}

/** An outbound HTTP call's span (kind CLIENT): method, URL without query or credentials, attempt number. */
export function callSpan(tracing: Tracing, name: string, parent: TraceContext | undefined, call: { method: string; url: string; requestId: string; attempt: number }): Span {
  const url = urlForSpan(call.url);
  return startRequestSpan(tracing, name, parent, {
    kind: SpanKind.CLIENT,
    attributes: {
      [SPAN_ATTRIBUTES.httpMethod]: call.method,
      ...(url === undefined ? {} : { [SPAN_ATTRIBUTES.url]: url }),
      [SPAN_ATTRIBUTES.requestId]: call.requestId,
      [SPAN_ATTRIBUTES.attempt]: call.attempt,
    },
  });
}

/**
 * The trace headers of an outbound call: the call's own span as the parent when tracing is on,
 * else the request's trace context as it is (the accept span, or the trace id with the span id
 * made at intake); the client's tracestate either way.
 */
export function outboundTrace(span: Span | undefined, trace: TraceContext | undefined): TraceContext | undefined {
  if (span === undefined) return trace;
  return traceContextOfSpan(span, trace?.tracestate);
}

/**
 * Ends a call's span with its outcome: the status code, or the transport error as `error.type`;
 * a failure, a 4xx or a 5xx is an error (as OpenTelemetry's HTTP conventions ask of client spans).
 */
export function endCallSpan(span: Span, record: Pick<AttemptRecord, 'status' | 'error'>): void {
  if (record.status !== undefined) span.setAttribute(SPAN_ATTRIBUTES.httpStatus, record.status);
  if (record.error !== undefined) {
    span.setAttribute(SPAN_ATTRIBUTES.errorType, record.error.code);
    endSpan(span, record.error.message);
    return;
  }
  endSpan(span, record.status !== undefined && record.status >= 400 ? `status ${record.status}` : undefined);
}

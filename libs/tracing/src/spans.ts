import { ROOT_CONTEXT, SpanStatusCode, createTraceState, trace, type Attributes, type Context, type Link, type Span, type SpanContext, type SpanKind } from '@opentelemetry/api';
import type { TraceContext } from '@parc/envelope';
import { parseTraceparent, traceContextOf, type Traceparent } from './traceparent';
import type { Tracing } from './tracing';

/**
 * Attribute names of Parc's spans: OpenTelemetry's semantic conventions for HTTP (stable since
 * 1.23), plus Parc's own under `parc.`. Written out here rather than imported, so that the
 * semantic-conventions package is not loaded when tracing is off.
 */
export const SPAN_ATTRIBUTES = Object.freeze({
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  url: 'url.full',
  errorType: 'error.type',
  requestId: 'parc.request.id',
  batchId: 'parc.batch.id',
  attempt: 'parc.attempt',
  outcome: 'parc.outcome',
  parc: 'parc.id',
});

/** A remote span context for the ids of a `traceparent`. */
export function spanContextOf(ids: Traceparent, tracestate?: string): SpanContext {
  const context: SpanContext = { traceId: ids.traceId, spanId: ids.spanId, traceFlags: ids.flags, isRemote: true };
  return tracestate === undefined ? context : { ...context, traceState: createTraceState(tracestate) };
}

/** The context a child of `parent` starts in; the root context (a new trace) when there is none. */
export function parentContext(parent: TraceContext | undefined): Context {
  const ids = parseTraceparent(parent?.traceparent);
  return ids === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, spanContextOf(ids, parent?.tracestate));
}

/** The trace context naming `span` as the parent: what the envelope stores and outbound calls send. */
export function traceContextOfSpan(span: Span, tracestate?: string): TraceContext {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return traceContextOf({ traceId, spanId, flags: traceFlags }, tracestate);
}

/** Options of a request's span. */
export interface RequestSpanOptions {
  readonly kind: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: Link[];
}

/**
 * Starts a stage's span for one request, as a child of the request's trace context (the proxy's
 * accept span). Only called with tracing on: callers check `tracing.enabled` first.
 */
export function startRequestSpan(tracing: Tracing, name: string, parent: TraceContext | undefined, options: RequestSpanOptions): Span {
  return tracing.tracer.startSpan(name, options, parentContext(parent));
}

/** Ends `span`, with an error status carrying `error`'s message when there is one. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

/**
 * The spans of one batch's requests, ended together once the batch's outcome is known (its
 * output durable, or the batch failed and will be redelivered).
 */
export class SpanGroup {
  private readonly spans: Span[] = [];

  add(span: Span): Span {
    this.spans.push(span);
    return span;
  }

  /** Ends every span; with `error`, each is marked failed. */
  end(error?: unknown): void {
    for (const span of this.spans) endSpan(span, error);
    this.spans.length = 0;
  }
}

/**
 * A URL as a span attribute: without user info and without the query string and fragment, which
 * often carry credentials (signed URLs, API keys); unparseable text is left out entirely.
 */
export function urlForSpan(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

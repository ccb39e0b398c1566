/**
 * @parc/tracing: OpenTelemetry traces across every hop (docs/tracing.md). W3C `traceparent`
 * parsing and formatting, pooled trace and span ids, the SDK started only when an OTLP endpoint
 * is configured (`startTracing`), and the helpers stages use to record one span per request.
 * With tracing off nothing of the SDK is loaded and `Tracing.enabled` is false: stage code checks
 * it before any span work.
 */
export { SpanKind, type Span } from '@opentelemetry/api';
export { parseTraceparent, formatTraceparent, cleanTracestate, traceContextOf, SAMPLED_FLAG, type Traceparent } from './traceparent';
export { TraceIds } from './ids';
export {
  startTracing,
  tracingConfigured,
  TRACING_OFF,
  SAMPLER_NAMES,
  type SamplerName,
  type Tracing,
  type TracingLogger,
  type TracingOptions,
} from './tracing';
export {
  SPAN_ATTRIBUTES,
  SpanGroup,
  endSpan,
  parentContext,
  spanContextOf,
  startRequestSpan,
  traceContextOfSpan,
  urlForSpan,
  type RequestSpanOptions,
} from './spans';

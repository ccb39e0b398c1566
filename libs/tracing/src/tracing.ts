import { ProxyTracerProvider, type Tracer } from '@opentelemetry/api';

/** OTEL_TRACES_SAMPLER's values (the OpenTelemetry specification's names). */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** What tracing reports through (a pino logger fits). */
export interface TracingLogger {
  warn(fields: object, message: string): void;
}

/** How a process traces; the app reads these from the standard OTel environment variables. */
export interface TracingOptions {
  /** The default `service.name` (OTEL_SERVICE_NAME wins). */
  readonly serviceName: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: traces go to `<endpoint>/v1/traces`. */
  readonly endpoint?: string;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full URL traces go to. */
  readonly tracesEndpoint?: string;
  /** OTEL_TRACES_SAMPLER; default parentbased_always_on. */
  readonly sampler?: SamplerName;
  /** OTEL_TRACES_SAMPLER_ARG: the ratio of the *traceidratio samplers; default 1. */
  readonly samplerRatio?: number;
  /** OTEL_BSP_*: the batch span processor. */
  readonly batch?: {
    readonly scheduledDelayMs?: number;
    readonly maxQueueSize?: number;
    readonly maxExportBatchSize?: number;
    readonly exportTimeoutMs?: number;
  };
  /** Where export failures are reported (warn); default nowhere. */
  readonly logger?: TracingLogger;
}

/**
 * A process's tracing. Stage code checks `enabled` before doing any span work, so that with
 * tracing off the hot path costs one boolean test per batch.
 */
export interface Tracing {
  /** True when spans are recorded and exported (an OTLP endpoint is configured). */
  readonly enabled: boolean;
  /** The tracer spans are started with (a no-op tracer when off: never reached by checked code). */
  readonly tracer: Tracer;
  /** Exports the spans still buffered and stops the SDK; resolves at once when off. Idempotent. */
  shutdown(): Promise<void>;
}

// A provider of its own, never the global one: nothing registered elsewhere turns it on.
const NO_TRACER = new ProxyTracerProvider().getTracer('parc');

/** Tracing off: nothing recorded, nothing loaded. */
export const TRACING_OFF: Tracing = Object.freeze({ enabled: false, tracer: NO_TRACER, shutdown: async () => undefined });

/** Whether the options name an OTLP endpoint, i.e. whether {@link startTracing} turns tracing on. */
export function tracingConfigured(options: Pick<TracingOptions, 'endpoint' | 'tracesEndpoint'>): boolean {
  return options.endpoint !== undefined || options.tracesEndpoint !== undefined;
}

/**
 * Turns tracing on when an OTLP endpoint is configured: the OpenTelemetry SDK is loaded then, and
 * only then, with a batch span processor and the OTLP/HTTP exporter. Without an endpoint it
 * returns {@link TRACING_OFF} and loads nothing.
 */
export function startTracing(options: TracingOptions): Tracing {
  if (!tracingConfigured(options)) return TRACING_OFF;
  // A lazy require, not an import: the SDK, the exporter and their dependencies are not even
  // loaded when tracing is off (`./sdk` is compiled to CommonJS like every lib).
  const sdk = require('./sdk') as typeof import('./sdk');
  const { tracer, shutdown } = sdk.startSdk(options);
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    tracer,
    shutdown: () => {
      stopping ??= shutdown();
      return stopping;
    },
  };
}

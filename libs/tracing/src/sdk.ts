import { DiagLogLevel, diag, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, resourceAttributesEnvDetector, resourceFromAttributes, serviceNameEnvDetector } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { SamplerName, TracingOptions } from './tracing';

/**
 * The OpenTelemetry SDK, set up for Parc. This module is required only when tracing is on: with
 * tracing off, none of the SDK, the exporter or their dependencies is ever loaded.
 */

/** The tracer name (instrumentation scope) of every Parc span. */
const SCOPE = 'parc';

function samplerOf(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given; OTEL_EXPORTER_OTLP_ENDPOINT plus `v1/traces` (the OTLP/HTTP rule). */
export function tracesUrl(options: Pick<TracingOptions, 'endpoint' | 'tracesEndpoint'>): string {
  if (options.tracesEndpoint !== undefined) return options.tracesEndpoint;
  const base = options.endpoint ?? '';
  return `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
}

/**
 * Starts a tracer provider exporting over OTLP/HTTP (JSON) in batches. The resource is the SDK's
 * default (telemetry.sdk.*), `service.name` = the service, then OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES (read by the SDK's own detectors, so they win). The exporter reads its
 * other standard variables itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, TLS files).
 */
export function startSdk(options: TracingOptions): { tracer: Tracer; shutdown: () => Promise<void> } {
  const { logger } = options;
  if (logger !== undefined) {
    // Export failures are reported through the API's diag channel, silent unless a logger is set.
    diag.setLogger(
      { error: (message) => logger.warn({ otel: message }, 'tracing: export problem'), warn: (message) => logger.warn({ otel: message }, 'tracing: export problem'), info: () => undefined, debug: () => undefined, verbose: () => undefined },
      DiagLogLevel.WARN,
    );
  }
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }))
    .merge(detectResources({ detectors: [serviceNameEnvDetector, resourceAttributesEnvDetector] }));
  const batch = options.batch ?? {};
  const processor = new BatchSpanProcessor({
    exporter: new OTLPTraceExporter({ url: tracesUrl(options) }),
    ...(batch.scheduledDelayMs === undefined ? {} : { scheduledDelayMillis: batch.scheduledDelayMs }),
    ...(batch.maxQueueSize === undefined ? {} : { maxQueueSize: batch.maxQueueSize }),
    ...(batch.maxExportBatchSize === undefined ? {} : { maxExportBatchSize: batch.maxExportBatchSize }),
    ...(batch.exportTimeoutMs === undefined ? {} : { exportTimeoutMillis: batch.exportTimeoutMs }),
  });
  const provider = new TracerProvider({
    resource,
    sampler: samplerOf(options.sampler ?? 'parentbased_always_on', options.samplerRatio ?? 1),
    spanProcessors: [processor],
  });
  return { tracer: provider.getTracer(SCOPE), shutdown: () => provider.shutdown() };
}

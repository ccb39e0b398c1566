import { ParcError } from '@parc/errors';
import { field, type ConfigOf, type ServiceApp } from '@parc/service-kit';
import { SAMPLER_NAMES, startTracing, type Tracing } from '@parc/tracing';

/**
 * OpenTelemetry's standard variables that Parc acts on (docs/tracing.md). The OTel packages read
 * a few more themselves: OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION and the TLS files
 * (and their _TRACES_ forms), and OTEL_RESOURCE_ATTRIBUTES.
 */
export const tracingSpec = {
  otelEndpoint: field.url({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    optional: true,
    protocols: ['http', 'https'],
    description: 'OTLP/HTTP collector (e.g. http://otel-collector:4318): when set, spans are exported to <endpoint>/v1/traces. Unset: tracing is off and costs nothing.',
  }),
  otelTracesEndpoint: field.url({
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    optional: true,
    protocols: ['http', 'https'],
    description: 'Full OTLP/HTTP URL for traces (e.g. http://tempo:4318/v1/traces); turns tracing on like OTEL_EXPORTER_OTLP_ENDPOINT and wins over it.',
  }),
  otelSdkDisabled: field.boolean({ env: 'OTEL_SDK_DISABLED', default: false, description: 'true: tracing stays off even with an endpoint set.' }),
  otelServiceName: field.string({ env: 'OTEL_SERVICE_NAME', optional: true, description: "The spans' service.name; default the service's own name (proxy, parc-caller, …)." }),
  otelTracesSampler: field.enum({
    env: 'OTEL_TRACES_SAMPLER',
    values: SAMPLER_NAMES,
    default: 'parentbased_always_on',
    description: "Which traces are recorded; parentbased_*: a client's sampled flag decides for its requests.",
  }),
  otelTracesSamplerArg: field.string({ env: 'OTEL_TRACES_SAMPLER_ARG', optional: true, description: 'The ratio (0 to 1) of the traceidratio samplers; default 1.' }),
  otelBspScheduleDelayMs: field.duration({ env: 'OTEL_BSP_SCHEDULE_DELAY', default: 5_000, min: 1, description: 'Time between two exports of finished spans.' }),
  otelBspMaxQueueSize: field.integer({ env: 'OTEL_BSP_MAX_QUEUE_SIZE', default: 2_048, min: 1, description: 'Finished spans buffered for export; more are dropped (never blocking the pipeline).' }),
  otelBspMaxExportBatchSize: field.integer({ env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', default: 512, min: 1, description: 'Spans per export request (at most OTEL_BSP_MAX_QUEUE_SIZE).' }),
  otelBspExportTimeoutMs: field.duration({ env: 'OTEL_BSP_EXPORT_TIMEOUT', default: 30_000, min: 1, description: 'Time allowed for one export request.' }),
};

export type TracingConfig = ConfigOf<typeof tracingSpec>;

/** OTEL_TRACES_SAMPLER_ARG as a ratio. @throws ParcError CONFIG_INVALID when it is not a number from 0 to 1. */
function samplerRatio(config: TracingConfig): number | undefined {
  const raw = config.otelTracesSamplerArg;
  if (raw === undefined) return undefined;
  const ratio = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new ParcError('CONFIG_INVALID', `OTEL_TRACES_SAMPLER_ARG: ${JSON.stringify(raw)} is not a ratio from 0 to 1`);
  }
  return ratio;
}

/** One tracing per app: the stages mounted in one process (embedded) share it. */
const tracingByApp = new WeakMap<object, Tracing>();

/**
 * The app's tracing, started by the first stage mounted (its name is the default service.name):
 * off unless an OTLP endpoint is configured. Buffered spans are exported when the app closes, after
 * the stages' workers (Fastify runs onClose hooks last-registered first, and this one is
 * registered before any stage's).
 */
export function appTracing(app: ServiceApp, config: TracingConfig, service: string): Tracing {
  const existing = tracingByApp.get(app);
  if (existing !== undefined) return existing;
  const ratio = samplerRatio(config);
  const tracing = config.otelSdkDisabled
    ? startTracing({ serviceName: service })
    : startTracing({
        serviceName: config.otelServiceName ?? service,
        ...(config.otelEndpoint === undefined ? {} : { endpoint: config.otelEndpoint }),
        ...(config.otelTracesEndpoint === undefined ? {} : { tracesEndpoint: config.otelTracesEndpoint }),
        sampler: config.otelTracesSampler,
        ...(ratio === undefined ? {} : { samplerRatio: ratio }),
        batch: {
          scheduledDelayMs: config.otelBspScheduleDelayMs,
          maxQueueSize: config.otelBspMaxQueueSize,
          maxExportBatchSize: Math.min(config.otelBspMaxExportBatchSize, config.otelBspMaxQueueSize),
          exportTimeoutMs: config.otelBspExportTimeoutMs,
        },
        logger: app.log,
      });
  tracingByApp.set(app, tracing);
  if (tracing.enabled) {
    app.addHook('onClose', async () => tracing.shutdown());
    app.log.info({ serviceName: config.otelServiceName ?? service, sampler: config.otelTracesSampler }, 'tracing on: spans are exported over OTLP/HTTP');
  }
  return tracing;
}

import { isParcError } from '@parc/errors';
import { buildServiceApp, createLogger, createMetrics, parseConfig } from '@parc/service-kit';
import { TRACING_OFF } from '@parc/tracing';
import { appTracing, tracingSpec } from './tracing';

function app() {
  return buildServiceApp({ service: 'test', logger: createLogger({ service: 'test', level: 'silent' }), registry: createMetrics({ service: 'test' }) });
}

const configOf = (env: Record<string, string>) => parseConfig(tracingSpec, env);
const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

describe('appTracing', () => {
  it('is off without an OTLP endpoint, and off with OTEL_SDK_DISABLED=true even with one', async () => {
    expect(appTracing(app(), configOf({}), 'proxy')).toBe(TRACING_OFF);
    expect(appTracing(app(), configOf({ ...ENDPOINT, OTEL_SDK_DISABLED: 'true' }), 'proxy')).toBe(TRACING_OFF);
  });

  it('turns on with either endpoint variable, once per app (stages mounted together share it)', async () => {
    for (const env of [ENDPOINT, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }]) {
      const server = app();
      const tracing = appTracing(server, configOf(env), 'proxy');
      expect(tracing.enabled).toBe(true);
      expect(appTracing(server, configOf(env), 'parc-caller')).toBe(tracing);
      await server.close();
    }
  });

  it.each(['2', '-0.1', 'half', ' '])('refuses OTEL_TRACES_SAMPLER_ARG=%j as a config error', (arg) => {
    const config = { ...configOf({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'traceidratio' }), otelTracesSamplerArg: arg };
    let thrown: unknown;
    try {
      appTracing(app(), config, 'proxy');
    } catch (error) {
      thrown = error;
    }
    expect(isParcError(thrown, 'CONFIG_INVALID')).toBe(true);
  });

  it('refuses an unknown sampler and a non-http endpoint when the config is parsed', () => {
    expect(() => configOf({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => configOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

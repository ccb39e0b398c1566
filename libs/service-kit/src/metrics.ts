import { Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Readiness } from './http/readiness';

export interface MetricsOptions {
  /** Name of the service, added to every series as the `service` label. */
  readonly service: string;
}

/**
 * Creates the service's own metrics registry (never prom-client's global one, so that several
 * stages can share a process and tests never collide) with Node's default metrics and a
 * `service` label on every series. Libs and stages register their metrics on the registry
 * they are given.
 */
export function createMetrics(options: MetricsOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Returns the metric registered under `name`, or registers the one `create` builds. Lets a
 * component be built twice against one registry (tests, several stages in one process)
 * without prom-client's "already registered" error.
 */
export function registerOnce<M extends Metric>(registry: Registry, name: string, create: (registry: Registry) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create(registry);
}

/** The HTTP server's request duration histogram, labelled by method, route and status code. */
export function httpRequestDuration(registry: Registry): Histogram<'method' | 'route' | 'status_code'> {
  return registerOnce(
    registry,
    'http_server_request_duration_seconds',
    (register) =>
      new Histogram({
        name: 'http_server_request_duration_seconds',
        help: 'Duration of HTTP requests served, by method, route pattern and status code.',
        labelNames: ['method', 'route', 'status_code'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [register],
      }),
  );
}

/**
 * `parc_ready`: 1 while every readiness check passes (`/health/ready` would answer 200), 0 while
 * one fails or the service is shutting down. The checks run when /metrics is scraped, as they do
 * for the probe, so the value is as fresh as the scrape and alerting needs no probe of its own.
 */
export function readinessGauge(registry: Registry, readiness: Pick<Readiness, 'evaluate'>): Gauge {
  return registerOnce(
    registry,
    'parc_ready',
    (register) =>
      new Gauge({
        name: 'parc_ready',
        help: 'Readiness of the service: 1 when every check of /health/ready passes, 0 when one fails (a backend unreachable, workers not started) or it is shutting down.',
        registers: [register],
        async collect() {
          const report = await readiness.evaluate();
          this.set(report.status === 'ok' ? 1 : 0);
        },
      }),
  );
}

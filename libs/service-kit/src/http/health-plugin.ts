import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness';

/** Paths every Parc service serves; kept out of request logs (probes and scrapes are constant). */
export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready', metrics: '/metrics' } as const;

export interface HealthPluginOptions {
  /** Named in the readiness body, so whoever curls a port sees which service answered. */
  readonly service: string;
  readonly readiness: Readiness;
  readonly registry: Registry;
}

/**
 * `GET /health/live` (200 while the process runs), `GET /health/ready` (200 or 503, with the
 * service's name and each check's outcome) and `GET /metrics` (Prometheus text format).
 */
export const healthPlugin = fp<HealthPluginOptions>(
  async (app, { service, readiness, registry }) => {
    app.get(HEALTH_PATHS.live, async () => ({ status: 'ok' }));

    app.get(HEALTH_PATHS.ready, async (_request, reply) => {
      const report = await readiness.evaluate();
      return reply.code(report.status === 'ok' ? 200 : 503).send({ service, ...report });
    });

    app.get(HEALTH_PATHS.metrics, async (_request, reply) => {
      const text = await registry.metrics();
      return reply.header('content-type', registry.contentType).send(text);
    });
  },
  { name: 'parc-health', fastify: '5.x' },
);

import { parseConfig, type Env } from '../config/parse';
import { createLogger } from '../logger';
import type { ServiceConfigSpec, ServiceDefinition } from '../service';
import type { ServiceApp } from './service-app';

export interface ContractOptions<S extends ServiceConfigSpec> extends ServiceDefinition<S> {
  /** Environment to build the app from; `{}` (every default) when omitted. */
  readonly env?: Env;
}

type Inject = (path: string) => Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>;

function jsonOf(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

async function probeHealth(inject: Inject): Promise<string[]> {
  const problems: string[] = [];
  const live = await inject('/health/live');
  if (live.statusCode !== 200 || (jsonOf(live.body) as { status?: unknown })?.status !== 'ok') {
    problems.push(`GET /health/live answered ${live.statusCode} ${live.body}, expected 200 {"status":"ok"}`);
  }
  const ready = await inject('/health/ready');
  if (ready.statusCode !== 200) problems.push(`GET /health/ready answered ${ready.statusCode} ${ready.body}, expected 200`);
  const unknown = await inject('/health/no-such-route');
  if (unknown.statusCode !== 404 || (jsonOf(unknown.body) as { error?: { code?: unknown } })?.error?.code !== 'NOT_FOUND') {
    problems.push(`an unknown route answered ${unknown.statusCode} ${unknown.body}, expected 404 with code NOT_FOUND`);
  }
  return problems;
}

async function probeMetrics(inject: Inject, service: string): Promise<string[]> {
  const problems: string[] = [];
  const metrics = await inject('/metrics');
  if (metrics.statusCode !== 200) problems.push(`GET /metrics answered ${metrics.statusCode}, expected 200`);
  if (!String(metrics.headers['content-type']).startsWith('text/plain; version=0.0.4')) {
    problems.push(`GET /metrics has content type ${String(metrics.headers['content-type'])}, expected Prometheus text`);
  }
  if (!metrics.body.includes(`process_cpu_user_seconds_total{service="${service}"}`)) {
    problems.push(`GET /metrics lacks the default process metrics labelled service="${service}"`);
  }
  return problems;
}

async function probeShutdown(app: ServiceApp, inject: Inject): Promise<string[]> {
  app.readiness.markShuttingDown();
  const ready = await inject('/health/ready');
  return ready.statusCode === 503 ? [] : [`GET /health/ready answered ${ready.statusCode} while shutting down, expected 503`];
}

/**
 * Checks the contract every Parc service keeps, on an app built from its definition with
 * `inject()` (no network): `/health/live` 200, `/health/ready` 200 (503 once shutting down),
 * `/metrics` in Prometheus format with the default metrics and its `service` label, house
 * 404s. Resolves with the list of violations, empty when the app conforms; closes the app.
 */
export async function verifyServiceContract<S extends ServiceConfigSpec>(options: ContractOptions<S>): Promise<string[]> {
  const config = parseConfig(options.spec, options.env ?? {});
  const app = await options.build(config, { logger: createLogger({ service: options.service, level: 'silent' }) });
  const inject: Inject = async (url) => {
    const response = await app.inject({ method: 'GET', url });
    return { statusCode: response.statusCode, headers: response.headers, body: response.body };
  };
  try {
    return [
      ...(await probeHealth(inject)),
      ...(await probeMetrics(inject, options.service)),
      ...(await probeShutdown(app, inject)),
    ];
  } finally {
    await app.close();
  }
}

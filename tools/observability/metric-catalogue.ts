/**
 * The Prometheus series Parc's services export, taken from the services themselves: each app is
 * built as it runs (apps/<service>/src/app.ts, every setting at its default, memory backends in
 * place of Redis and Kafka), its stages started, and its metrics registry read. Nothing is listed
 * by hand, so a dashboard or an alert rule cannot name a metric that no code defines.
 */
import { memoryBackends, type InjectedBackends } from '@parc/runtime';
import { createLogger, parseConfig, type Env, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import type { Registry } from 'prom-client';
import { buildApp as buildParcCaller } from '../../apps/parc-caller/src/app';
import { buildApp as buildParcIncoming } from '../../apps/parc-incoming/src/app';
import { buildApp as buildParcOutgoing } from '../../apps/parc-outgoing/src/app';
import { buildApp as buildProxy } from '../../apps/proxy/src/app';
import { buildApp as buildProxyStore } from '../../apps/proxy-store/src/app';
import { buildApp as buildResponder } from '../../apps/responder/src/app';
import { buildApp as buildScheduler } from '../../apps/scheduler/src/app';
import { SERVICES } from '../services';

/** Series name → the label names its samples may carry. */
export type MetricCatalogue = ReadonlyMap<string, ReadonlySet<string>>;

/** An app's buildApp; each takes its own config type, which parseConfig of its spec gives. */
type Builder = (config: never, deps: ServiceDeps & { readonly backends?: InjectedBackends }) => ServiceApp;

const BUILDERS: Readonly<Record<string, Builder>> = {
  proxy: buildProxy,
  'proxy-store': buildProxyStore,
  'parc-incoming': buildParcIncoming,
  'parc-caller': buildParcCaller,
  'parc-outgoing': buildParcOutgoing,
  responder: buildResponder,
  scheduler: buildScheduler,
};

/** What a service cannot start without (every other setting keeps its default). */
const REQUIRED_ENV: Readonly<Record<string, Env>> = {
  proxy: { API_KEYS: 'catalogue:0123456789abcdef' },
  responder: { WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
};

/** How long an app's stages may take to start on memory backends. */
const START_TIMEOUT_MS = 10_000;

async function untilReady(app: ServiceApp, service: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const report = await app.readiness.evaluate();
    if (report.status === 'ok') return;
    if (Date.now() > deadline) throw new Error(`${service} did not become ready on memory backends: ${JSON.stringify(report.checks)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The names of the series a metric of `type` is exposed as, with the labels each adds. */
function seriesOf(name: string, type: string): [string, string[]][] {
  if (type === 'histogram') return [[`${name}_bucket`, ['le']], [`${name}_sum`, []], [`${name}_count`, []]];
  if (type === 'summary') return [[name, ['quantile']], [`${name}_sum`, []], [`${name}_count`, []]];
  return [[name, []]];
}

/** Label names of each sample line of Prometheus text, by series name. */
function sampleLabels(text: string): Map<string, Set<string>[]> {
  const samples = new Map<string, Set<string>[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (match === null) continue;
    const labels = new Set([...(match[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)].map((m) => m[1] as string));
    samples.set(match[1] as string, [...(samples.get(match[1] as string) ?? []), labels]);
  }
  return samples;
}

/** Adds the series of `registry` to `catalogue`: every metric registered, values or not. */
export async function addRegistry(catalogue: Map<string, Set<string>>, registry: Registry): Promise<void> {
  const samples = sampleLabels(await registry.metrics());
  // The registry's default labels (`service`) are on every sample it writes.
  const all = [...samples.values()].flat();
  const defaults = all.length === 0 ? [] : [...(all[0] as Set<string>)].filter((label) => all.every((labels) => labels.has(label)));
  for (const metric of registry.getMetricsAsArray()) {
    const labelNames = (metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    for (const [series, extra] of seriesOf(metric.name, String(metric.type))) {
      const labels = catalogue.get(series) ?? new Set<string>();
      for (const label of [...labelNames, ...defaults, ...extra, ...(samples.get(series) ?? []).flatMap((set) => [...set])]) labels.add(label);
      catalogue.set(series, labels);
    }
  }
}

/**
 * Runs `use` on `service`'s app as it runs (built from `env` plus what it cannot start without,
 * memory backends in place of Redis and Kafka, its stages started and ready), then closes it.
 */
export async function withServiceApp<T>(service: string, env: Env, use: (app: ServiceApp) => Promise<T>): Promise<T> {
  const entry = SERVICES.find(({ SERVICE }) => SERVICE === service);
  const build = BUILDERS[service];
  if (entry === undefined || build === undefined) throw new Error(`tools/observability/metric-catalogue.ts cannot build ${service}: add its buildApp to BUILDERS`);
  const { backends, close } = memoryBackends();
  const app = build(parseConfig(entry.configSpec, { ...REQUIRED_ENV[service], ...env }) as never, { logger: createLogger({ service, level: 'silent' }), backends });
  try {
    await app.ready();
    await untilReady(app, service);
    return await use(app);
  } finally {
    await app.close();
    await close();
  }
}

/** Builds every service of tools/services.ts on memory backends and collects what it exports. */
export async function exportedSeries(): Promise<MetricCatalogue> {
  const catalogue = new Map<string, Set<string>>();
  for (const { SERVICE } of SERVICES) await withServiceApp(SERVICE, {}, (app) => addRegistry(catalogue, app.metrics));
  return catalogue;
}

/** What is wrong with the selectors of one expression: unknown metrics, or labels the metric lacks. */
export function unknownIn(
  selectors: readonly { readonly metric: string | undefined; readonly labels: readonly string[] }[],
  catalogue: MetricCatalogue,
  targetLabels: ReadonlySet<string> = new Set(),
): string[] {
  const problems: string[] = [];
  for (const { metric, labels } of selectors) {
    if (metric === undefined) {
      problems.push(`a selector without a metric name ({${labels.join(', ')}})`);
      continue;
    }
    const known = catalogue.get(metric);
    if (known === undefined) {
      problems.push(`unknown metric ${metric}`);
      continue;
    }
    const missing = labels.filter((label) => !known.has(label) && !targetLabels.has(label));
    if (missing.length > 0) problems.push(`${metric} has no label ${missing.join(', ')} (it has ${[...known].sort().join(', ')})`);
  }
  return problems;
}

/**
 * The three configurations the scaling bench compares, each started the way an operator runs it,
 * from the same esbuild bundles (`bundleApps`) on the same fresh Redis and Kafka, with Parc's
 * default tunables:
 *
 * - **scheduler**: `npm run start:stack`'s way — the scheduler app with the local-process driver,
 *   which starts every other stage as processes and scales them (its decision log on its port);
 * - **static-default**: `npm run start:stack -- --fixed`'s way — one instance of each stage, one Parc;
 * - **static-peak**: fixed counts sized for the trace's peak (bench/simulate/sizing.ts).
 */
import { join } from 'node:path';
import { startServiceProcess, startStack, type DataPathApp, type ServiceProcess } from '@parc/testing';
import { BENCH_API_KEY, BENCH_WEBHOOK_SECRET } from '../contract';

export const CONFIGURATION_IDS = ['scheduler', 'static-default', 'static-peak'] as const;
export type ConfigurationId = (typeof CONFIGURATION_IDS)[number];
export const isConfigurationId = (value: string): value is ConfigurationId => (CONFIGURATION_IDS as readonly string[]).includes(value);

/** Fixed instance counts: global stages once each, Parc stages per Parc. */
export interface StaticSizing {
  readonly proxy: number;
  readonly 'proxy-store': number;
  readonly responder: number;
  readonly 'parc-incoming': number;
  readonly 'parc-caller': number;
  readonly 'parc-outgoing': number;
  readonly parcs: number;
}

export const DEFAULT_SIZING: StaticSizing = { proxy: 1, 'proxy-store': 1, responder: 1, 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1, parcs: 1 };

/** What every configuration's processes share: infrastructure, egress, keys, logs. */
export interface StackContext {
  readonly bundleDir: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string;
  readonly egressAllowList: readonly string[];
  readonly logDir: string;
}

export interface RunningStack {
  readonly proxyUrl: string;
  /** PARC_NAMESPACE: the prefix of its Redis keys and topics. */
  readonly namespace: string;
  /** The Parcs' Redis (PARC_REDIS_URL; every Parc of the scheduler's shares it). */
  readonly parcRedisUrl: string;
  /** The scheduler's own URL (its decision log), for the scheduler configuration. */
  readonly schedulerUrl?: string;
  /** The processes the bench started: the scheduler (whose instances are its children), or every instance. */
  roots(): number[];
  stop(): Promise<void>;
}

function withDb(url: string, db: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/** The environment of every configuration; the rest is each app's default. */
function commonEnv(context: StackContext): { readonly PROXY_REDIS_URL: string; readonly PARC_REDIS_URL: string; readonly EGRESS_ALLOW_LIST: string } & Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    PROXY_REDIS_URL: withDb(context.redisUrl, 1),
    PARC_REDIS_URL: withDb(context.redisUrl, 2),
    KAFKA_BROKERS: context.kafkaBrokers,
    API_KEYS: `bench:${BENCH_API_KEY}`,
    WEBHOOK_SECRETS: BENCH_WEBHOOK_SECRET,
    EGRESS_ALLOW_LIST: context.egressAllowList.join(','),
  };
}

/** Polls `url` until it answers 200. */
async function until200(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/**
 * The scheduler with its local-process driver on a port range of its own: it starts the proxy
 * first (on `basePort`), then every other stage, and scales them; default policy, tick and budget.
 */
export async function startSchedulerStack(context: StackContext, basePort: number): Promise<RunningStack> {
  const namespace = 'scaling';
  const env = {
    ...commonEnv(context),
    PARC_NAMESPACE: namespace,
    SCHEDULER_DRIVER: 'local',
    SCHEDULER_LOCAL_ENTRY: join(context.bundleDir, '{app}', 'main.js'),
    SCHEDULER_LOCAL_BASE_PORT: String(basePort),
    // Every tick of a run stays in the log (the default keeps 600: ten minutes at 1 s).
    SCHEDULER_DECISIONS_KEPT: '3000',
  };
  const scheduler: ServiceProcess = await startServiceProcess({ app: 'scheduler', entry: join(context.bundleDir, 'scheduler', 'main.js'), nodeArgs: ['--enable-source-maps'], env, logDir: context.logDir, readyTimeoutMs: 60_000 });
  const proxyUrl = `http://127.0.0.1:${basePort}`;
  try {
    await until200(`${proxyUrl}/health/ready`, 90_000);
  } catch (error) {
    await scheduler.stop(30_000);
    throw error;
  }
  return {
    proxyUrl,
    namespace,
    parcRedisUrl: env.PARC_REDIS_URL,
    schedulerUrl: scheduler.url,
    roots: () => [scheduler.pid()],
    // The scheduler stops its instances (SIGTERM, SIGKILL after 10 s) before it exits.
    stop: async () => void (await scheduler.stop(30_000)),
  };
}

/** A fixed installation: `sizing`'s counts, Parcs p1…pN, each app with its own defaults (as `--fixed` starts them). */
export async function startStaticStack(context: StackContext, sizing: StaticSizing): Promise<RunningStack> {
  const parcs = Array.from({ length: sizing.parcs }, (_, i) => `p${i + 1}`);
  const instances: Partial<Record<DataPathApp, number>> = {
    proxy: sizing.proxy,
    'proxy-store': sizing['proxy-store'],
    responder: sizing.responder,
    'parc-incoming': sizing['parc-incoming'],
    'parc-caller': sizing['parc-caller'],
    'parc-outgoing': sizing['parc-outgoing'],
  };
  const env = commonEnv(context);
  const stack = await startStack({
    egressAllowList: env.EGRESS_ALLOW_LIST,
    proxyRedisUrl: env.PROXY_REDIS_URL,
    parcRedisUrl: env.PARC_REDIS_URL,
    kafkaBrokers: context.kafkaBrokers,
    bundleDir: context.bundleDir,
    logDir: context.logDir,
    instances,
    parcs,
    // The harness's test settings back to the apps' defaults (KAFKA_PARTITIONS 4, MOVER_TICK_MS 200).
    env: { ...env, KAFKA_PARTITIONS: '4', MOVER_TICK_MS: '200' },
  });
  const all = Object.values(stack.instances).flat();
  return {
    proxyUrl: stack.proxyUrl,
    namespace: stack.namespace,
    parcRedisUrl: env.PARC_REDIS_URL,
    roots: () => all.map((instance) => instance.pid()),
    stop: () => stack.stop(),
  };
}

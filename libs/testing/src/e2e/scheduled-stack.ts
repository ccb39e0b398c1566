import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleApps } from '../stack/bundle-apps';
import { startServiceProcess, type ServiceProcess } from '../stack/service-process';
import { waitFor } from '../conformance/wait-for';
import { API_KEY, DATA_PATH_APPS, WEBHOOK_SECRET, withDb } from './stack';

export interface ScheduledStack {
  readonly namespace: string;
  readonly scheduler: ServiceProcess;
  /** The proxy the scheduler started, on the driver's base port. */
  readonly proxyUrl: string;
  /** The scheduler's decision log entries (GET /v1/scheduler/decisions), oldest first. */
  decisions<Entry>(limit?: number): Promise<Entry[]>;
  stop(): Promise<void>;
}

export interface ScheduledStackOptions {
  /** Addresses the callers and the responder may call (`host:port`, comma-separated). */
  readonly egressAllowList: string;
  /** SCHEDULER_POLICY (JSON-encoded here). */
  readonly policy: unknown;
  /** Two databases of REDIS_URL: the proxy's Redis and the Parcs'. */
  readonly databases: readonly [number, number];
  /** Extra environment for the scheduler (and so for every instance it starts). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The pipeline as `npm run start:stack` runs it: the scheduler with its local-process driver,
 * which starts and scales every other stage, on a real Redis and Kafka, in its own namespace. The
 * instances run from bundles, as in an image (from sources each would compile first). Requires
 * the integration setup's REDIS_URL and KAFKA_BROKERS.
 */
export async function startScheduledStack(options: ScheduledStackOptions): Promise<ScheduledStack> {
  const redisUrl = process.env['REDIS_URL'];
  if (!redisUrl) throw new Error('REDIS_URL is not set: run the end-to-end tests through jest.integration.config.js');
  const namespace = `sched-${randomBytes(4).toString('hex')}`;
  const basePort = 19_000 + Math.floor(Math.random() * 800);
  const proxyUrl = `http://127.0.0.1:${basePort}`;
  const bundles = await bundleApps(DATA_PATH_APPS);
  let scheduler: ServiceProcess;
  try {
    scheduler = await startServiceProcess({
      app: 'scheduler',
      logDir: mkdtempSync(join(tmpdir(), `parc-${namespace}-`)),
      readyTimeoutMs: 60_000,
      env: {
        LOG_LEVEL: 'warn',
        PARC_NAMESPACE: namespace,
        PROXY_REDIS_URL: withDb(redisUrl, options.databases[0]),
        PARC_REDIS_URL: withDb(redisUrl, options.databases[1]),
        KAFKA_BROKERS: process.env['KAFKA_BROKERS'],
        KAFKA_PARTITIONS: '2',
        API_KEYS: `e2e:${API_KEY}`,
        WEBHOOK_SECRETS: WEBHOOK_SECRET,
        EGRESS_ALLOW_LIST: options.egressAllowList,
        SCHEDULER_DRIVER: 'local',
        SCHEDULER_LOCAL_ENTRY: join(bundles, '{app}', 'main.js'),
        SCHEDULER_LOCAL_BASE_PORT: String(basePort),
        SCHEDULER_TICK_MS: '500',
        SCHEDULER_POLICY: JSON.stringify(options.policy),
        ...options.env,
      },
    });
    await waitFor('the proxy the scheduler started', () => fetch(`${proxyUrl}/health/ready`).then((r) => r.status === 200, () => false), 90_000, 200);
  } catch (error) {
    rmSync(bundles, { recursive: true, force: true });
    throw error;
  }
  const started = scheduler;
  return {
    namespace,
    scheduler: started,
    proxyUrl,
    decisions: async <Entry>(limit = 1_000) => ((await (await fetch(`${started.url}/v1/scheduler/decisions?limit=${limit}`)).json()) as { decisions: Entry[] }).decisions.reverse(),
    stop: async () => {
      // The scheduler stops the instances it started before it exits.
      await started.stop(30_000);
      rmSync(bundles, { recursive: true, force: true });
    },
  };
}

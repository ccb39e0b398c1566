import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from '../stack/service-process';

/** The six data-path apps, each its own OS process, in start order. */
export const DATA_PATH_APPS = ['proxy', 'proxy-store', 'parc-incoming', 'parc-caller', 'parc-outgoing', 'responder'] as const;
export type DataPathApp = (typeof DATA_PATH_APPS)[number];

export const API_KEY = 'e2e-client-key-0123456789';
export const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface Stack {
  readonly namespace: string;
  readonly proxyUrl: string;
  /** The first instance of each app. */
  readonly apps: Readonly<Record<DataPathApp, ServiceProcess>>;
  /** Every instance of each app. */
  readonly instances: Readonly<Record<DataPathApp, readonly ServiceProcess[]>>;
  readonly logDir: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly egressAllowList: string;
  /** Extra environment for every app. */
  readonly env?: NodeJS.ProcessEnv;
  /** The proxy's Redis; default database 1 of REDIS_URL. */
  readonly proxyRedisUrl?: string;
  /** The Parc's Redis; default database 2 of REDIS_URL. */
  readonly parcRedisUrl?: string;
  /** Default KAFKA_BROKERS. */
  readonly kafkaBrokers?: string;
  /** Instances per app (default one each). */
  readonly instances?: Partial<Record<DataPathApp, number>>;
  /** Where the apps' logs go; default a new temp dir. */
  readonly logDir?: string;
  /** Run the apps from these bundles (`<dir>/<app>/main.js`, see `bundleApps`) instead of from sources through tsx. */
  readonly bundleDir?: string;
  /** The Parcs to run (default one, `p1`): each gets its own Parc Redis database and its own parc-incoming, parc-caller and parc-outgoing instances. */
  readonly parcs?: readonly string[];
}

const PARC_APPS: ReadonlySet<DataPathApp> = new Set(['parc-incoming', 'parc-caller', 'parc-outgoing']);

/**
 * Starts the pipeline against a real Redis (by default two databases of the test run's standing
 * in for the proxy's and the Parc's Redis) and Kafka, in its own namespace so runs do not see each
 * other. Leases and Kafka session timeouts are the production defaults: a shorter session in a
 * test is what once hid restarts that crash-looped while a killed member's session was open.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const namespace = `e2e-${randomBytes(4).toString('hex')}`;
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), `parc-${namespace}-`));
  const env: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'warn',
    PARC_NAMESPACE: namespace,
    PROXY_REDIS_URL: options.proxyRedisUrl ?? withDb(required('REDIS_URL'), 1),
    PARC_REDIS_URL: options.parcRedisUrl ?? withDb(required('REDIS_URL'), 2),
    KAFKA_BROKERS: options.kafkaBrokers ?? required('KAFKA_BROKERS'),
    ACTIVE_PARCS: (options.parcs ?? ['p1']).join(','),
    KAFKA_PARTITIONS: '2',
    MOVER_TICK_MS: '50',
    API_KEYS: `e2e:${API_KEY}`,
    WEBHOOK_SECRETS: WEBHOOK_SECRET,
    EGRESS_ALLOW_LIST: options.egressAllowList,
    ...options.env,
  };
  const instances = Object.fromEntries(DATA_PATH_APPS.map((app) => [app, [] as ServiceProcess[]])) as Record<DataPathApp, ServiceProcess[]>;
  const all = (): ServiceProcess[] => Object.values(instances).flat();
  try {
    // One at a time: on two cores, clients joining at once only slow each other down.
    for (const app of DATA_PATH_APPS) {
      const entry = options.bundleDir === undefined ? {} : { entry: join(options.bundleDir, app, 'main.js'), nodeArgs: ['--enable-source-maps'] };
      // A second Parc's stages read and write their own Redis database (the first keeps PARC_REDIS_URL's).
      const parcs = PARC_APPS.has(app) ? (options.parcs ?? ['p1']) : [undefined];
      for (const [index, parcId] of parcs.entries()) {
        const parcEnv = parcId === undefined ? env : { ...env, PARC_ID: parcId, ...(index === 0 ? {} : { PARC_REDIS_URL: withDb(env['PARC_REDIS_URL'] as string, 2 + index) }) };
        for (let n = 0; n < (options.instances?.[app] ?? 1); n++) {
          instances[app].push(await startServiceProcess({ app, env: parcEnv, logDir, readyTimeoutMs: 60_000, ...entry }));
        }
      }
    }
  } catch (error) {
    await Promise.all(all().map((service) => service.stop()));
    throw error;
  }
  const apps = Object.fromEntries(DATA_PATH_APPS.map((app) => [app, instances[app][0] as ServiceProcess])) as Record<DataPathApp, ServiceProcess>;
  return {
    namespace,
    proxyUrl: apps.proxy.url,
    apps,
    instances,
    logDir,
    stop: async () => {
      await Promise.all(all().map((service) => service.stop(15_000)));
    },
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through jest.integration.config.js`);
  return value;
}

/** The same Redis URL with another database. */
export function withDb(url: string, db: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/** POSTs a JSON batch; returns the 202 body. */
export async function submitBatch(proxyUrl: string, body: unknown): Promise<{ batchId: string; ids: string[] }> {
  const response = await fetch(`${proxyUrl}/v1/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`POST /v1/requests answered ${response.status}: ${text}`);
  return JSON.parse(text) as { batchId: string; ids: string[] };
}

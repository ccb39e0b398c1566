import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from '@parc/testing';

/** The six data-path apps, each its own OS process, in start order. */
export const DATA_PATH_APPS = ['proxy', 'proxy-store', 'parc-incoming', 'parc-caller', 'parc-outgoing', 'responder'] as const;
export type DataPathApp = (typeof DATA_PATH_APPS)[number];

export const API_KEY = 'e2e-client-key-0123456789';
export const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface Stack {
  readonly namespace: string;
  readonly proxyUrl: string;
  readonly apps: Readonly<Record<DataPathApp, ServiceProcess>>;
  readonly logDir: string;
  stop(): Promise<void>;
}

/**
 * Starts the pipeline against the real Redis (two databases standing in for the proxy's and the
 * Parc's Redis) and Kafka of the test run, in its own namespace so runs do not see each other.
 * Leases and session timeouts are short so that killed processes are noticed within seconds.
 */
export async function startStack(options: { egressAllowList: string; env?: NodeJS.ProcessEnv }): Promise<Stack> {
  const redisUrl = required('REDIS_URL');
  const namespace = `e2e-${randomBytes(4).toString('hex')}`;
  const logDir = mkdtempSync(join(tmpdir(), `parc-${namespace}-`));
  const env: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'warn',
    PARC_NAMESPACE: namespace,
    PROXY_REDIS_URL: withDb(redisUrl, 1),
    PARC_REDIS_URL: withDb(redisUrl, 2),
    KAFKA_BROKERS: required('KAFKA_BROKERS'),
    KAFKA_PARTITIONS: '2',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    QUEUE_LEASE_MS: '8000',
    MOVER_TICK_MS: '50',
    API_KEYS: `e2e:${API_KEY}`,
    WEBHOOK_SECRETS: WEBHOOK_SECRET,
    EGRESS_ALLOW_LIST: options.egressAllowList,
    ...options.env,
  };
  const apps = {} as Record<DataPathApp, ServiceProcess>;
  try {
    // One at a time: on two cores, seven JVM-backed clients joining at once only slows each other.
    for (const app of DATA_PATH_APPS) apps[app] = await startServiceProcess({ app, env, logDir, readyTimeoutMs: 60_000 });
  } catch (error) {
    await Promise.all(Object.values(apps).map((service) => service.stop()));
    throw error;
  }
  return {
    namespace,
    proxyUrl: apps.proxy.url,
    apps,
    logDir,
    stop: async () => {
      await Promise.all(Object.values(apps).map((service) => service.stop(15_000)));
    },
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through jest.integration.config.js`);
  return value;
}

function withDb(url: string, db: number): string {
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

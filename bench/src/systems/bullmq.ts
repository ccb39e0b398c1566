/**
 * System A: the "why not just a BullMQ worker?" setup. One fastify ingress process adds each
 * POST's jobs with one `Queue.addBulk`; two BullMQ worker processes (concurrency 256 each) do
 * the shared work; retries are BullMQ delayed jobs timed by the shared retry decision.
 */
import { randomBytes } from 'node:crypto';
import type { StartSystem, SystemOptions, SystemProcess, SystemUnderTest } from '../contract';
import { BULLMQ_WORKER_CONCURRENCY, BULLMQ_WORKER_PROCESSES } from './bullmq-jobs';
import { spawnService, stopAll, waitForHealthy, type ServiceChild } from './spawn';

const ENTRY = {
  ingress: 'bench/src/systems/bullmq-ingress.main.ts',
  worker: 'bench/src/systems/bullmq-worker.main.ts',
};

/** What runs, with instance counts and parallelism (the contract's `description`). */
export const BULLMQ_DESCRIPTION =
  `BullMQ 6: 1 fastify ingress process (one Queue.addBulk per POST) → Redis → ` +
  `${BULLMQ_WORKER_PROCESSES} worker processes × concurrency ${BULLMQ_WORKER_CONCURRENCY} ` +
  `(${BULLMQ_WORKER_PROCESSES * BULLMQ_WORKER_CONCURRENCY} jobs in flight; a job = one attempt, plus the callback after the last); ` +
  `retries as BullMQ delayed jobs via a custom backoff strategy`;

async function startWorkers(options: SystemOptions, env: Record<string, string>): Promise<ServiceChild[]> {
  const workerEnv = {
    ...env,
    EGRESS_ALLOW_LIST: options.egressAllowList.join(','),
    WORKER_CONCURRENCY: String(BULLMQ_WORKER_CONCURRENCY),
  };
  const starts = Array.from({ length: BULLMQ_WORKER_PROCESSES }, (_, index) =>
    spawnService({ name: `bullmq-worker-${index + 1}`, entry: ENTRY.worker, env: workerEnv, logDir: options.logDir }),
  );
  const results = await Promise.allSettled(starts);
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await stopAll(started);
    throw failed.reason;
  }
  return started;
}

async function startIngressProcess(options: SystemOptions, env: Record<string, string>): Promise<{ child: ServiceChild; url: string }> {
  const child = await spawnService({ name: 'bullmq-ingress', entry: ENTRY.ingress, env, logDir: options.logDir });
  const url = `http://127.0.0.1:${child.port}`;
  try {
    await waitForHealthy(`${url}/health/live`);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, url };
}

/**
 * Starts system A on `options.redisUrl`: the workers first (consuming before any load), then
 * the ingress. Each run uses its own queue name, so a shared Redis holds no leftovers of
 * another run. `stop()` SIGTERMs the ingress, then the workers (which finish their jobs).
 */
export const startBullmqSystem: StartSystem = async (options) => {
  const env = { REDIS_URL: options.redisUrl, BULLMQ_QUEUE: `bench-a-${randomBytes(6).toString('hex')}` };
  const workers = await startWorkers(options, env);
  let ingress: { child: ServiceChild; url: string };
  try {
    ingress = await startIngressProcess(options, env);
  } catch (error) {
    await stopAll(workers);
    throw error;
  }
  const all = [ingress.child, ...workers];
  let stopping: Promise<void> | undefined;
  const system: SystemUnderTest = {
    key: 'A',
    description: BULLMQ_DESCRIPTION,
    ingressUrl: ingress.url,
    processes: (): SystemProcess[] => all.map(({ name, pid }) => ({ group: 'services', name, pid })),
    stop: () => {
      stopping ??= ingress.child.stop().then(() => stopAll(workers));
      return stopping;
    },
  };
  return system;
};

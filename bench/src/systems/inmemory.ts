/**
 * System B: raw in-memory work in one process, the upper bound (no durability, no broker).
 */
import type { StartSystem, SystemUnderTest } from '../contract';
import { spawnService, waitForHealthy } from './spawn';

/** Slots of B's pool: calls in flight at most (each slot: one attempt, plus the callback after the last). */
export const INMEMORY_POOL_SLOTS = 512;

/** What runs, with instance counts and parallelism (the contract's `description`). */
export const INMEMORY_DESCRIPTION =
  `in-memory: 1 process: fastify ingress → in-memory FIFO → ${INMEMORY_POOL_SLOTS} slots in flight ` +
  `(a slot = one attempt, plus the callback after the last); retries re-queued by timers; no durability`;

/** Starts system B; `options.redisUrl` and `kafkaBrokers` are not used. `stop()` SIGTERMs it. */
export const startInMemorySystem: StartSystem = async (options) => {
  const child = await spawnService({
    name: 'inmemory',
    entry: 'bench/src/systems/inmemory.main.ts',
    env: { EGRESS_ALLOW_LIST: options.egressAllowList.join(','), POOL_SLOTS: String(INMEMORY_POOL_SLOTS) },
    logDir: options.logDir,
  });
  const ingressUrl = `http://127.0.0.1:${child.port}`;
  try {
    await waitForHealthy(`${ingressUrl}/health/live`);
  } catch (error) {
    await child.stop();
    throw error;
  }
  const system: SystemUnderTest = {
    key: 'B',
    description: INMEMORY_DESCRIPTION,
    ingressUrl,
    processes: () => [{ group: 'services', name: child.name, pid: child.pid }],
    stop: () => child.stop(),
  };
  return system;
};

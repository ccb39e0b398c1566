import { Redis } from 'ioredis';
import { describeQueueConformance, spawnDoomedConsumer, waitFor } from '@parc/testing';
import { createBackend, TEST_LEASE_MS } from './redis-backend.fixture';
import type { RedisBackend } from './redis-backend';

describeQueueConformance({
  name: `redis streams (Redis ${process.env['PARC_TEST_REDIS_VERSION'] ?? '?'} at ${process.env['REDIS_URL']})`,
  createBackend,
  startDoomedConsumer: (_backend, spec) => spawnDoomedConsumer({ ...spec, factoryModule: require.resolve('./redis-backend.fixture') }),
  redeliveryWithinMs: TEST_LEASE_MS * 3,
  countsDeliveries: true,
  // A minute's lease; the others' reclaim pass (every second by default) takes handed-back entries.
  handBack: { createBackend: () => createBackend({ leaseMs: 60_000 }), withinMs: 5_000 },
  delayed: (backend) => backend as RedisBackend,
  cleanup: async (queues) => {
    const redis = new Redis(process.env['REDIS_URL'] as string);
    try {
      // Delayed sets of a test are named after its queue: `<queue>:delayed` (+ `:payloads`).
      for (const queue of queues) await redis.del(queue, `${queue}:delayed`, `${queue}:delayed:payloads`);
    } finally {
      redis.disconnect();
    }
  },
});

describe('RedisBackend with an instance id (a process restarted under the same name)', () => {
  const LONG_LEASE_MS = 60_000;
  const fixture = require.resolve('./redis-backend.fixture');

  it('takes back at once what its killed predecessor held, where another instance waits for the lease', async () => {
    const queue = `adopt-${Date.now().toString(36)}`;
    const group = 'g';
    const publisher = createBackend();
    await publisher.publish(queue, Array.from({ length: 20 }, (_, i) => ({ payload: `m${i}` })));
    const doomed = await spawnDoomedConsumer({
      factoryModule: fixture,
      queue,
      group,
      hold: 20,
      env: { PARC_TEST_INSTANCE_ID: 'host-a:8083', PARC_TEST_LEASE_MS: String(LONG_LEASE_MS) },
    });
    await doomed.kill();

    const stranger = createBackend({ instanceId: 'host-b:8083', leaseMs: LONG_LEASE_MS });
    const restarted = createBackend({ instanceId: 'host-a:8083', leaseMs: LONG_LEASE_MS });
    const seenByStranger: string[] = [];
    const seenByRestarted: { payload: string; deliveryCount: number }[] = [];
    try {
      await stranger.consume({ queue, group, batchSize: 5, handler: async (batch) => void seenByStranger.push(...batch.map((d) => d.payload)) });
      const startedAt = Date.now();
      await restarted.consume({ queue, group, batchSize: 5, handler: async (batch) => void seenByRestarted.push(...batch) });
      await waitFor('the restarted instance to take back all 20', () => seenByRestarted.length >= 20, 5_000);
      // Far within the 60 s lease: taken back by name, not by lease expiry.
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      expect(seenByRestarted.map((d) => d.payload).sort()).toEqual([...doomed.received].sort());
      expect(seenByRestarted.map((d) => d.deliveryCount)).toEqual(seenByRestarted.map(() => 2));
      expect(seenByStranger).toEqual([]);
      expect(await publisher.backlog(queue, group)).toMatchObject({ waiting: 0, inFlight: 0 });
    } finally {
      await Promise.all([stranger.close(), restarted.close(), publisher.close()]);
    }
  });
});

describe('RedisBackend on close (an instance scaled down)', () => {
  const LONG_LEASE_MS = 60_000;
  const streamName = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const cleanup = async (stream: string): Promise<void> => {
    const redis = new Redis(process.env['REDIS_URL'] as string);
    try {
      await redis.del(stream);
    } finally {
      redis.disconnect();
    }
  };

  it('stops a blocking read at once instead of waiting out its BLOCK', async () => {
    const queue = streamName('block');
    const backend = createBackend({ blockMs: 30_000 });
    try {
      const consumer = await backend.consume({ queue, group: 'g', batchSize: 5, handler: async () => undefined });
      await new Promise((resolve) => setTimeout(resolve, 300)); // in its XREADGROUP … BLOCK 30000 by now
      const startedAt = Date.now();
      await consumer.close();
      expect(Date.now() - startedAt).toBeLessThan(1_000);
    } finally {
      await backend.close();
      await cleanup(queue);
    }
  });

  it('hands the batches it held back to the group: pending entries drain within seconds of a one-minute lease', async () => {
    const queue = streamName('hand-back');
    const group = 'g';
    const closingInstance = createBackend({ leaseMs: LONG_LEASE_MS });
    const remainingInstance = createBackend({ leaseMs: LONG_LEASE_MS });
    try {
      const held: string[] = [];
      const closing = await closingInstance.consume({
        queue,
        group,
        batchSize: 10,
        concurrency: 3,
        handler: async (batch, { signal }) => {
          held.push(...batch.map((d) => d.payload));
          if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          throw new Error('closing: not handled');
        },
      });
      await closingInstance.publish(queue, Array.from({ length: 30 }, (_, i) => ({ payload: `m${i}` })));
      await waitFor('the first instance to hold all 30', () => held.length >= 30);
      const taken: { payload: string; deliveryCount: number }[] = [];
      await remainingInstance.consume({ queue, group, batchSize: 10, concurrency: 3, handler: async (batch) => void taken.push(...batch) });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await remainingInstance.backlog(queue, group)).toMatchObject({ waiting: 0, inFlight: 30 });
      expect(taken).toEqual([]);

      const closedAt = Date.now();
      await closing.close();
      await waitFor('no entry pending', async () => (await remainingInstance.backlog(queue, group)).inFlight === 0, 5_000, 50);
      const drainedMs = Date.now() - closedAt;
      console.info(`[redis hand-back] 30 pending entries of a closed consumer taken over and acknowledged ${drainedMs} ms after close (lease ${LONG_LEASE_MS} ms)`);
      expect(drainedMs).toBeLessThan(5_000);
      expect(taken.map((d) => d.payload).sort()).toEqual([...held].sort());
      expect(taken.every((d) => d.deliveryCount === 2)).toBe(true);
    } finally {
      await Promise.all([closingInstance.close(), remainingInstance.close()]);
      await cleanup(queue);
    }
  });
});

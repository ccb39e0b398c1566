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

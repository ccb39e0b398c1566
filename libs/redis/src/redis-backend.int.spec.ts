import { Redis } from 'ioredis';
import { describeQueueConformance, spawnDoomedConsumer } from '@parc/testing';
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

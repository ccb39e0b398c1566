import { describeQueueConformance } from '@parc/testing';
import { MemoryBackend } from './memory-backend';

describeQueueConformance({
  name: 'memory',
  createBackend: () => new MemoryBackend({ leaseMs: 300, maxWaitMs: 200 }),
  // In one process, "dying" is a consumer stopped without acknowledging or renewing its leases.
  startDoomedConsumer: async (backend, { queue, group, hold }) => {
    const received: string[] = [];
    const consumer = await (backend as MemoryBackend).consume({
      queue,
      group,
      batchSize: 100,
      handler: async (batch) => {
        received.push(...batch.map((delivery) => delivery.payload));
        await new Promise(() => undefined);
      },
    });
    while (received.length < hold) await new Promise((resolve) => setTimeout(resolve, 10));
    return { received, kill: () => consumer.kill() };
  },
  redeliveryWithinMs: 1_000,
  countsDeliveries: true,
  // A hand-back ends the leases at once and wakes the waiting consumers; the lease is a minute.
  handBack: { createBackend: () => new MemoryBackend({ leaseMs: 60_000, maxWaitMs: 200 }), withinMs: 1_000 },
  delayed: (backend) => backend as MemoryBackend,
});

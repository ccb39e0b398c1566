/*
 * Child process of spawnDoomedConsumer: consumes and never acknowledges, until SIGKILLed.
 * argv: <factory module> <queue> <group>
 */
import type { QueueBackend } from '@parc/queue';

async function main(): Promise<void> {
  const [factoryModule, queue, group] = process.argv.slice(2) as [string, string, string];
  const { createBackend } = (await import(factoryModule)) as { createBackend: () => Promise<QueueBackend> | QueueBackend };
  const backend = await createBackend();
  await backend.consume({
    queue,
    group,
    batchSize: 100,
    concurrency: 8,
    handler: async (batch) => {
      process.send?.({ received: batch.map((delivery) => delivery.payload) });
      await new Promise(() => undefined); // hold the batch until killed
    },
  });
}

main().catch((error: unknown) => {
  console.error('doomed consumer failed to start', error);
  process.exit(1);
});

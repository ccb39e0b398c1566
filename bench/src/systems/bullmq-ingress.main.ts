/**
 * System A's ingress process: the shared fastify ingress, one `Queue.addBulk` per POST (the 202
 * goes out once Redis has the jobs). Env: REDIS_URL, BULLMQ_QUEUE.
 */
import { Queue } from 'bullmq';
import { announceReady, envString, onShutdown, runMain, warn } from './child';
import { connectionOptions, jobFor, type BenchJobData } from './bullmq-jobs';
import { startIngress } from './ingress';

async function main(): Promise<void> {
  const queue = new Queue<BenchJobData>(envString('BULLMQ_QUEUE'), { connection: connectionOptions(envString('REDIS_URL')) });
  queue.on('error', (error) => warn('queue error', { error: error.message }));
  await queue.waitUntilReady();
  const ingress = await startIngress({
    enqueue: async (envelopes) => {
      await queue.addBulk(envelopes.map(jobFor));
    },
  });
  onShutdown(async () => {
    await ingress.close();
    await queue.close();
  });
  announceReady(ingress.port);
}

runMain(main);

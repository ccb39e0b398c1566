/**
 * A system A worker process: a BullMQ Worker whose processor makes one attempt with the shared
 * work; a retry is stored in the job (`updateData`) and thrown as RetryLater, so BullMQ delays
 * the job by the shared decision's delay (see bullmq-jobs.ts); a final outcome is POSTed as the
 * signed callback and the job completes. Env: REDIS_URL, BULLMQ_QUEUE, EGRESS_ALLOW_LIST,
 * WORKER_CONCURRENCY.
 */
import { Worker, type Job } from 'bullmq';
import type { HttpCaller } from '@parc/egress';
import { parseWebhookSecrets, type WebhookSecret } from '@parc/webhooks';
import { BENCH_WEBHOOK_SECRET } from '../contract';
import { announceReady, envInteger, envList, envString, onShutdown, runMain, warn } from './child';
import { BULLMQ_WORKER_CONCURRENCY, connectionOptions, parcBackoffStrategy, RetryLater, type BenchJobData } from './bullmq-jobs';
import { attemptAndDecide, createBenchHttp, finish } from './shared-work';

function processor(http: HttpCaller, secrets: readonly WebhookSecret[]) {
  return async (job: Job<BenchJobData>): Promise<void> => {
    const { envelope, decision } = await attemptAndDecide(http, job.data.envelope);
    if (decision.kind === 'retry') {
      // The attempt must survive in Redis: the next run (maybe in the other worker) decides on
      // the attempts recorded so far.
      await job.updateData({ envelope });
      throw new RetryLater(decision.delayMs);
    }
    await finish(http, envelope, decision.outcome, secrets);
  };
}

async function main(): Promise<void> {
  const http = createBenchHttp(envList('EGRESS_ALLOW_LIST'));
  const secrets = parseWebhookSecrets(BENCH_WEBHOOK_SECRET);
  const worker = new Worker<BenchJobData>(envString('BULLMQ_QUEUE'), processor(http, secrets), {
    connection: connectionOptions(envString('REDIS_URL')),
    concurrency: envInteger('WORKER_CONCURRENCY', BULLMQ_WORKER_CONCURRENCY),
    settings: { backoffStrategy: parcBackoffStrategy },
  });
  worker.on('error', (error) => warn('worker error', { error: error.message }));
  // 'failed' also fires for every planned retry; only the unexpected failures deserve a line.
  worker.on('failed', (job, error) => {
    if (!(error instanceof RetryLater)) warn('job failed', { id: job?.id, attemptsMade: job?.attemptsMade, error: error.message });
  });
  onShutdown(async () => {
    await worker.close(); // lets the jobs in progress finish
    await http.close();
  });
  await worker.waitUntilReady();
  announceReady();
}

runMain(main);

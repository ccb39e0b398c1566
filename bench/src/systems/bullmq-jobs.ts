/**
 * What system A's ingress and workers agree on: the job (one Parc envelope per request), its
 * options, the Redis connection, and how a retry decided by the shared `attemptAndDecide`
 * reaches BullMQ's delayed-retry machinery (a custom backoff strategy).
 */
import type { BackoffStrategy, JobsOptions, RedisOptions } from 'bullmq';
import type { Envelope } from '@parc/envelope';

/** The job of one request: its envelope, with the attempts made so far. */
export interface BenchJobData {
  readonly envelope: Envelope;
}

/** Worker processes of system A. */
export const BULLMQ_WORKER_PROCESSES = 2;
/**
 * Jobs in flight per worker process: 2 × 256 = 512, B's pool size. A job holds its slot for
 * one attempt, plus the callback when that attempt was the last; a delayed retry holds none.
 */
export const BULLMQ_WORKER_CONCURRENCY = 256;

/** The job name (BullMQ requires one; all jobs are alike). */
export const JOB_NAME = 'request';

/** The backoff type naming {@link parcBackoffStrategy} on every job. */
export const PARC_BACKOFF_TYPE = 'parc';

/**
 * Connection options for Queue and Worker. Workers need `maxRetriesPerRequest: null` (BullMQ
 * refuses blocking connections that give up on commands).
 */
export function connectionOptions(redisUrl: string): RedisOptions {
  return { url: redisUrl, maxRetriesPerRequest: null };
}

/**
 * One job per request: id = request id (a duplicate add is a no-op), as many BullMQ attempts
 * as the policy allows, retries delayed by the Parc backoff, and the job removed from Redis
 * once it completes or finally fails, so Redis does not grow during a run.
 */
export function jobFor(envelope: Envelope): { name: string; data: BenchJobData; opts: JobsOptions } {
  return {
    name: JOB_NAME,
    data: { envelope },
    opts: {
      jobId: envelope.id,
      attempts: envelope.policy.maxAttempts,
      backoff: { type: PARC_BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: true,
    },
  };
}

/**
 * Thrown by the processor when the shared decision says "retry": BullMQ then asks the backoff
 * strategy for the delay, and this error carries the one the decision computed.
 */
export class RetryLater extends Error {
  constructor(readonly delayMs: number) {
    super(`retry in ${delayMs} ms`);
    this.name = 'RetryLater';
  }
}

/** Delay of an unexpected processor failure (e.g. Redis unreachable for updateData). */
const UNEXPECTED_FAILURE_DELAY_MS = 1_000;

/**
 * The worker's `settings.backoffStrategy`. BullMQ calls it for a failed job that has attempts
 * left (`attemptsMade + 1 < opts.attempts`) with the error the processor threw; the returned
 * number is the delay before the job is attempted again (0: at once; -1: fail it now).
 */
export const parcBackoffStrategy: BackoffStrategy = (_attemptsMade, _type, error) =>
  error instanceof RetryLater ? error.delayMs : UNEXPECTED_FAILURE_DELAY_MS;

import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '@parc/backoff';
import { ParcError } from '@parc/errors';
import type { DelayedQueue, QueueBackend } from '@parc/queue';
import type { DeadLetterStore, RequestLedger } from '@parc/store';
import type { GlobalNames } from '@parc/topology';
import type { WebhookSecret } from '@parc/webhooks';
import { startParts, type Worker } from './common/worker';
import { startPromoter } from './common/promoter';
import type { HttpCallPort } from './common/http';
import { checkTunables, stageContext, type StageOptions } from './common/stage-options';
import { startRecorder } from './responder/recorder';
import { startSender } from './responder/sender';

/**
 * Callback retries by default: up to 10 deliveries, 1 s doubling to at most 10 min with full
 * jitter (about 17 min in the worst case), on 408/425/429/5xx and transient network errors,
 * honouring Retry-After.
 */
export const DEFAULT_CALLBACK_RETRY_POLICY: RetryPolicy = Object.freeze({
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 10,
  maxDelayMs: 600_000,
});

export interface ResponderOptions extends StageOptions {
  /** Kafka: the `responses` topic. */
  readonly kafka: QueueBackend;
  /** The proxy's Redis: the callbacks stream. */
  readonly proxy: QueueBackend;
  /** The callbacks delayed set (`names.callbacksDelayed`, promoting into `names.callbacks`). */
  readonly callbacksDelayed: DelayedQueue;
  readonly ledger: RequestLedger;
  readonly deadLetters: DeadLetterStore;
  /** `globalNames()`: responsesTopic, callbacks. */
  readonly names: Pick<GlobalNames, 'responsesTopic' | 'callbacks'>;
  /** An HttpCaller under the same egress policy as parc-caller (callback URLs are user URLs too). */
  readonly http: HttpCallPort;
  /** Signing secrets, newest first; each adds a signature (rotation). At least one. */
  readonly secrets: readonly WebhookSecret[];
  /** Default {@link DEFAULT_CALLBACK_RETRY_POLICY}. */
  readonly callbackRetryPolicy?: RetryPolicy;
  /** Time allowed for one callback POST; default 10000 ms. */
  readonly callbackTimeoutMs?: number;
  /** Random source in [0, 1) for backoff jitter; default Math.random. */
  readonly random?: () => number;
  /** Kafka consumer group on `responses`; default `responder`. */
  readonly group?: string;
  /** `responses` messages per batch (one ledger call per batch); default 500. */
  readonly batchSize?: number;
  /** `responses` batches in flight; default 1. */
  readonly concurrency?: number;
  /** Consumer group on the callbacks stream; default `callback-sender`. */
  readonly callbackGroup?: string;
  /** Callback jobs per batch; default 8. */
  readonly callbackBatchSize?: number;
  /** Callback batches in flight; POSTs in flight ≤ callbackBatchSize × callbackConcurrency; default 32. */
  readonly callbackConcurrency?: number;
  /** Pause between promotions of due callback retries; default 200 ms. */
  readonly promoterTickMs?: number;
  /** Callback retries moved per promotion; default 1000. */
  readonly promoteLimit?: number;
}

/**
 * responder: `responses` → the ledger (result stored for polling, callback job enqueued once per
 * request) and the callback sender (signed POSTs with retries, dead letters), plus the promoter
 * moving due callback retries back into the callbacks stream.
 */
export async function startResponder(options: ResponderOptions): Promise<Worker> {
  const ctx = stageContext(options);
  const settings = {
    batchSize: options.batchSize ?? 500,
    concurrency: options.concurrency ?? 1,
    callbackBatchSize: options.callbackBatchSize ?? 8,
    callbackConcurrency: options.callbackConcurrency ?? 32,
    callbackTimeoutMs: options.callbackTimeoutMs ?? 10_000,
    promoterTickMs: options.promoterTickMs ?? 200,
    promoteLimit: options.promoteLimit ?? 1000,
  };
  checkTunables('responder', settings);
  if (options.secrets.length === 0) throw new ParcError('QUEUE_OPTIONS_INVALID', 'responder: at least one webhook secret is required');
  if (options.callbacksDelayed.targetQueue !== options.names.callbacks) {
    throw new ParcError('QUEUE_OPTIONS_INVALID', `responder: the callbacks delayed set must promote into ${options.names.callbacks}`);
  }
  return startParts([
    () =>
      startRecorder(ctx, {
        kafka: options.kafka,
        responsesTopic: options.names.responsesTopic,
        ledger: options.ledger,
        callbacksQueue: options.names.callbacks,
        group: options.group ?? 'responder',
        batchSize: settings.batchSize,
        concurrency: settings.concurrency,
      }),
    () =>
      startSender(ctx, {
        proxy: options.proxy,
        callbacksQueue: options.names.callbacks,
        delayed: options.callbacksDelayed,
        deadLetters: options.deadLetters,
        http: options.http,
        secrets: options.secrets,
        policy: options.callbackRetryPolicy ?? DEFAULT_CALLBACK_RETRY_POLICY,
        timeoutMs: settings.callbackTimeoutMs,
        random: options.random ?? Math.random,
        group: options.callbackGroup ?? 'callback-sender',
        batchSize: settings.callbackBatchSize,
        concurrency: settings.callbackConcurrency,
      }),
    async () =>
      startPromoter({
        name: 'callback promoter',
        delayed: options.callbacksDelayed,
        now: ctx.now,
        tickMs: settings.promoterTickMs,
        limit: settings.promoteLimit,
        logger: ctx.logger,
        onMoved: (moved) => ctx.metrics.messages.inc({ stage: 'callback-sender', outcome: 'promoted' }, moved),
      }),
  ]);
}

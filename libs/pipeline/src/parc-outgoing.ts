import { ParcError } from '@parc/errors';
import type { DelayedQueue, QueueBackend } from '@parc/queue';
import type { RequestLedger } from '@parc/store';
import { parcNames, type ParcNames } from '@parc/topology';
import { startParts, type Worker } from './common/worker';
import { startRelay } from './common/relay';
import { parseBatch } from './common/parse';
import { checkTunables, stageContext, type StageOptions } from './common/stage-options';
import { STAGE, type OutgoingDeps } from './outgoing/deps';
import { handleDone } from './outgoing/done-handler';
import { startDueRelay, startMoverPromoter, type MoverSettings } from './outgoing/mover';
import { startCancellationSweep } from './outgoing/sweep';

export interface ParcOutgoingOptions extends StageOptions {
  /** The Parc's Redis: `done` and `due` streams. */
  readonly parc: QueueBackend;
  /** The Parc's delayed set, promoting into `names.due` (the same one parc-incoming schedules into). */
  readonly delayed: DelayedQueue;
  /** Kafka: the `responses` topic and the Parcs' requests topics. */
  readonly kafka: QueueBackend;
  readonly ledger: RequestLedger;
  readonly names: ParcNames;
  /** `globalNames().responsesTopic`. */
  readonly responsesTopic: string;
  /** Parcs that may take due retries (read per batch). */
  readonly activeParcIds: () => readonly string[];
  /** A Parc's requests topic; default `parcNames(parcId).requestsTopic`. */
  readonly requestsTopicOf?: (parcId: string) => string;
  /** Random source in [0, 1) for backoff jitter; default Math.random. */
  readonly random?: () => number;
  /** Consumer group on `done`; default `parc-outgoing`. */
  readonly group?: string;
  /** `done` entries per batch; default 200. */
  readonly batchSize?: number;
  /** `done` batches in flight; default 2. */
  readonly concurrency?: number;
  /** Consumer group on `due`; default `parc-mover`. */
  readonly dueGroup?: string;
  /** `due` entries per batch (one Kafka produce per Parc per batch); default 500. */
  readonly dueBatchSize?: number;
  /** `due` batches in flight; default 1. */
  readonly dueConcurrency?: number;
  /** Pause between promotions that found fewer than `promoteLimit` due items; default 200 ms. */
  readonly moverTickMs?: number;
  /** Items moved per promotion; default 1000. */
  readonly promoteLimit?: number;
  /** Pause between reads of the cancellation log that found it drained; default 500 ms. */
  readonly sweepTickMs?: number;
  /** Cancellations read per sweep; default 1000. */
  readonly sweepLimit?: number;
}

/**
 * parc-outgoing: `done` → finals to Kafka `responses`, retries to the Parc's delayed set; plus
 * the mover (due retries → a Kafka requests topic) and the cancellation sweep. One worker, four
 * parts, closed together.
 */
export async function startParcOutgoing(options: ParcOutgoingOptions): Promise<Worker> {
  const ctx = stageContext(options);
  const mover: MoverSettings = {
    tickMs: options.moverTickMs ?? 200,
    promoteLimit: options.promoteLimit ?? 1000,
    group: options.dueGroup ?? 'parc-mover',
    batchSize: options.dueBatchSize ?? 500,
    concurrency: options.dueConcurrency ?? 1,
  };
  const sweep = { tickMs: options.sweepTickMs ?? 500, limit: options.sweepLimit ?? 1000 };
  const batchSize = options.batchSize ?? 200;
  const concurrency = options.concurrency ?? 2;
  checkTunables(STAGE, {
    batchSize,
    concurrency,
    dueBatchSize: mover.batchSize,
    dueConcurrency: mover.concurrency,
    moverTickMs: mover.tickMs,
    promoteLimit: mover.promoteLimit,
    sweepTickMs: sweep.tickMs,
    sweepLimit: sweep.limit,
  });
  checkDelayedTarget(options.delayed, options.names);
  const deps: OutgoingDeps = {
    ctx,
    parc: options.parc,
    delayed: options.delayed,
    kafka: options.kafka,
    ledger: options.ledger,
    names: options.names,
    responsesTopic: options.responsesTopic,
    activeParcIds: options.activeParcIds,
    requestsTopicOf: options.requestsTopicOf ?? ((parcId) => parcNames(parcId).requestsTopic),
    random: options.random ?? Math.random,
  };
  return startParts([
    () =>
      startRelay({
        stage: STAGE,
        backend: options.parc,
        queue: options.names.done,
        group: options.group ?? STAGE,
        batchSize,
        concurrency,
        drainMs: ctx.drainMs,
        logger: ctx.logger,
        metrics: ctx.metrics,
        handle: (batch, out) => handleDone(deps, parseBatch(batch, STAGE, ctx.logger, ctx.metrics), out),
      }),
    () => startDueRelay(deps, mover),
    async () => startMoverPromoter(deps, mover),
    async () => startCancellationSweep(deps, sweep),
  ]);
}

/** A delayed set promoting anywhere but `due` would strand retries: refuse to start. */
function checkDelayedTarget(delayed: DelayedQueue, names: ParcNames): void {
  if (delayed.targetQueue !== names.due) {
    throw new ParcError('QUEUE_OPTIONS_INVALID', `${STAGE}: the delayed set must promote into ${names.due}, not ${delayed.targetQueue}`);
  }
}

import { ParcError } from '@parc/errors';
import { Gauge } from 'prom-client';
import type { DelayedQueue, QueueBackend } from '@parc/queue';
import type { ParcNames } from '@parc/topology';
import { registerOnce } from '@parc/service-kit';
import { startParts, type Worker } from './common/worker';
import { startRelay, type Relay } from './common/relay';
import { startTicker } from './common/ticker';
import { parseBatch } from './common/parse';
import { WatermarkGate } from './common/watermark';
import { batchSpans, requestSpan } from './common/tracing';
import { checkTunables, stageContext, type StageContext, type StageOptions } from './common/stage-options';

export interface ParcIncomingOptions extends StageOptions {
  /** Kafka: holds the Parc's requests topic. */
  readonly requests: QueueBackend;
  /** The Parc's Redis: `ready` stream. */
  readonly parc: QueueBackend;
  /** The Parc's delayed set (`names.delayed`, promoting into `names.due`), shared with parc-outgoing. */
  readonly delayed: DelayedQueue;
  readonly names: ParcNames;
  /** Kafka consumer group; default `parc-incoming.<parcId>`. */
  readonly group?: string;
  /** The caller's group on `ready`, whose backlog is watched; default `parc-caller`. */
  readonly readyGroup?: string;
  /** Kafka messages per batch (one `ready` write per batch); default 500. */
  readonly batchSize?: number;
  /** Batches in flight (Kafka: partitions consumed concurrently); default 1. */
  readonly concurrency?: number;
  /** Pause consuming when `ready` holds this many waiting entries; default 20000. */
  readonly highWatermark?: number;
  /** Resume once `ready` is down to this many; default half the high watermark. */
  readonly lowWatermark?: number;
  /** How often the backlog of `ready` is checked; default 200 ms. */
  readonly watermarkCheckMs?: number;
}

const STAGE = 'parc-incoming';

/**
 * parc-incoming: the Parc's Kafka requests topic → `ready` (or the delayed set for envelopes whose
 * `notBefore` is still ahead) → commit. Pauses the Kafka consumer while `ready` is above the high
 * watermark and resumes below the low one, so a slow caller makes work wait in Kafka, not Redis.
 */
export async function startParcIncoming(options: ParcIncomingOptions): Promise<Worker> {
  const ctx = stageContext(options);
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 1;
  const high = options.highWatermark ?? 20_000;
  const low = options.lowWatermark ?? Math.floor(high / 2);
  const checkMs = options.watermarkCheckMs ?? 200;
  checkTunables(STAGE, { batchSize, concurrency, highWatermark: high, watermarkCheckMs: checkMs });
  if (!(Number.isInteger(low) && low >= 0 && low < high)) {
    throw new ParcError('QUEUE_OPTIONS_INVALID', `${STAGE}: lowWatermark must be an integer in [0, highWatermark), got ${low}`);
  }

  const gate = new WatermarkGate(high, low, ctx.logger, { stage: STAGE, parc: options.names.parcId });
  return startParts([
    async () => {
      const relay = await startIncomingRelay(options, ctx, { batchSize, concurrency }, gate);
      gate.control(relay);
      return relay;
    },
    async () =>
      startTicker({
        name: `${STAGE} watermark`,
        intervalMs: checkMs,
        logger: ctx.logger,
        tick: watermarkCheck(options, ctx, gate),
      }),
  ]);
}

function startIncomingRelay(
  options: ParcIncomingOptions,
  ctx: StageContext,
  sizes: { batchSize: number; concurrency: number },
  gate: WatermarkGate,
): Promise<Relay> {
  const { names, parc, delayed } = options;
  const { logger, metrics, now } = ctx;
  return startRelay({
    stage: STAGE,
    backend: options.requests,
    queue: names.requestsTopic,
    group: options.group ?? `${STAGE}.${names.parcId}`,
    ...sizes,
    drainMs: ctx.drainMs,
    logger,
    metrics,
    handle: (batch, out) => {
      const nowMs = now();
      let ready = 0;
      let later = 0;
      const spans = batchSpans(ctx, out);
      for (const { delivery, envelope } of parseBatch(batch, STAGE, logger, metrics)) {
        const notBeforeMs = envelope.notBefore === undefined ? undefined : Date.parse(envelope.notBefore);
        const delay = notBeforeMs !== undefined && notBeforeMs > nowMs;
        if (delay) {
          out.schedule(delayed, { id: envelope.id, payload: delivery.payload, dueAtMs: notBeforeMs });
          later++;
        } else {
          out.publish(parc, names.ready, { payload: delivery.payload, key: envelope.id });
          ready++;
        }
        if (spans !== undefined) spans.add(requestSpan(ctx.tracing, STAGE, envelope, delay ? 'delayed' : 'ready'));
      }
      gate.added(ready);
      metrics.messages.inc({ stage: STAGE, outcome: 'delayed' }, later);
      metrics.messages.inc({ stage: STAGE, outcome: 'ready' }, ready);
    },
  });
}

/** One measurement of `ready`'s backlog, fed to the gate and the gauges. */
function watermarkCheck(options: ParcIncomingOptions, ctx: StageContext, gate: WatermarkGate): () => Promise<boolean> {
  const backlog = registerOnce(ctx.registry, 'parc_ready_backlog', (register) => new Gauge({
    name: 'parc_ready_backlog',
    help: 'Entries waiting in the Parc ready stream, as seen by parc-incoming.',
    labelNames: ['parc'],
    registers: [register],
  }));
  const pausedGauge = registerOnce(ctx.registry, 'parc_incoming_paused', (register) => new Gauge({
    name: 'parc_incoming_paused',
    help: '1 while parc-incoming holds off consuming because ready is above its high watermark.',
    labelNames: ['parc'],
    registers: [register],
  }));
  const parcLabel = { parc: options.names.parcId };
  return async () => {
    const { waiting } = await options.parc.backlog(options.names.ready, options.readyGroup ?? 'parc-caller');
    gate.observed(waiting);
    backlog.set(parcLabel, waiting);
    pausedGauge.set(parcLabel, gate.paused ? 1 : 0);
    return false;
  };
}

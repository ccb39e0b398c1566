import type { QueueBackend } from '@parc/queue';
import { parcNames, pickParc } from '@parc/topology';
import { startParts, type Worker } from './common/worker';
import { startRelay } from './common/relay';
import { checkTunables, stageContext, type StageOptions } from './common/stage-options';
import { batchSpans, envelopeOfPayload, requestSpan } from './common/tracing';

export interface ProxyStoreOptions extends StageOptions {
  /** The proxy's Redis: holds the inbox. */
  readonly inbox: QueueBackend;
  /** The inbox stream name (`globalNames().inbox`). */
  readonly inboxQueue: string;
  /** Kafka: where the Parcs' requests topics live. */
  readonly requests: QueueBackend;
  /** The Parcs currently taking new work (read per batch, so the set can change at run time). */
  readonly activeParcIds: () => readonly string[];
  /** A Parc's requests topic; default `parcNames(parcId).requestsTopic`. */
  readonly requestsTopicOf?: (parcId: string) => string;
  /** Consumer group on the inbox; default `proxy-store`. */
  readonly group?: string;
  /** Inbox entries per batch (one Kafka produce per Parc per batch); default 500. */
  readonly batchSize?: number;
  /** Batches in flight; default 2. */
  readonly concurrency?: number;
}

const STAGE = 'proxy-store';

/**
 * proxy-store: inbox → the requests topic of the Parc `pickParc` chooses, keyed by request id →
 * acknowledge. Payloads pass through untouched (never parsed): the proxy already validated the
 * envelope and applied policy defaults and the deadline, so routing is all that is left to add.
 */
export async function startProxyStore(options: ProxyStoreOptions): Promise<Worker> {
  const ctx = stageContext(options);
  const { logger, metrics } = ctx;
  const batchSize = options.batchSize ?? 500;
  const concurrency = options.concurrency ?? 2;
  checkTunables(STAGE, { batchSize, concurrency });
  const topicOf = options.requestsTopicOf ?? ((parcId: string) => parcNames(parcId).requestsTopic);

  return startParts([
    () =>
      startRelay({
        stage: STAGE,
        backend: options.inbox,
        queue: options.inboxQueue,
        group: options.group ?? STAGE,
        batchSize,
        concurrency,
        drainMs: ctx.drainMs,
        logger,
        metrics,
        handle: (batch, out) => {
          const parcs = options.activeParcIds();
          const spans = batchSpans(ctx, out);
          for (const delivery of batch) {
            // The proxy keys every inbox entry by request id; without one (never expected) the
            // entry is still routed, by its delivery id, rather than held up.
            const key = delivery.key;
            if (key === undefined) logger.warn({ stage: STAGE, deliveryId: delivery.id }, 'inbox entry without a request id key');
            const topic = topicOf(pickParc(key ?? delivery.id, parcs));
            out.publish(options.requests, topic, key === undefined ? { payload: delivery.payload } : { payload: delivery.payload, key });
            if (spans !== undefined) {
              spans.add(requestSpan(ctx.tracing, STAGE, envelopeOfPayload(delivery.payload) ?? { id: key ?? delivery.id }, 'routed'));
            }
          }
          metrics.messages.inc({ stage: STAGE, outcome: 'routed' }, batch.length);
        },
      }),
  ]);
}

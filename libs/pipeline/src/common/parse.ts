import { isParcError } from '@parc/errors';
import { parseEnvelope, type Envelope } from '@parc/envelope';
import type { Delivery, QueueLogger } from '@parc/queue';
import type { StageMetrics } from './metrics';

/** A delivery with its envelope, parsed once per hop. */
export interface Parsed {
  readonly delivery: Delivery;
  readonly envelope: Envelope;
}

/**
 * Parses a batch's envelopes (the trusted parse: no re-validation). Text that is not an envelope
 * at all can never be processed: it is logged at error level, counted as `malformed` and dropped
 * (acknowledged with the batch) so it cannot block the queue. An envelope of an unknown version
 * throws instead: the batch is redelivered, to a newer consumer during a rolling upgrade.
 */
export function parseBatch(batch: readonly Delivery[], stage: string, logger: QueueLogger, metrics: StageMetrics): Parsed[] {
  const parsed: Parsed[] = [];
  for (const delivery of batch) {
    try {
      parsed.push({ delivery, envelope: parseEnvelope(delivery.payload) });
    } catch (error) {
      if (!isParcError(error, 'ENVELOPE_MALFORMED')) throw error;
      metrics.messages.inc({ stage, outcome: 'malformed' });
      logger.error({ err: error, stage, deliveryId: delivery.id, key: delivery.key }, 'dropping a message that is not an envelope');
    }
  }
  return parsed;
}

/** Request refs for the ledger. */
export function refsOf(items: readonly Parsed[]): { id: string; batchId: string }[] {
  return items.map(({ envelope }) => ({ id: envelope.id, batchId: envelope.batchId }));
}

/** Fields that put a log line about one request in its trace. */
export function requestFields(envelope: Envelope): { requestId: string; traceId: string; batchId: string } {
  return { requestId: envelope.id, traceId: envelope.traceId, batchId: envelope.batchId };
}

import { isParcError } from '@parc/errors';
import type { QueueBackend } from '@parc/queue';
import type { FinalRecord, RequestLedger } from '@parc/store';
import type { Relay } from '../common/relay';
import { startRelay } from '../common/relay';
import type { StageContext } from '../common/stage-options';
import { callbackJobFor, decodeResponse, type ResponseHeader } from '../messages';
import { batchSpans, requestSpan } from '../common/tracing';

export interface RecorderSettings {
  readonly kafka: QueueBackend;
  readonly responsesTopic: string;
  readonly ledger: RequestLedger;
  /** Where `finalize` enqueues callback jobs (the proxy Redis callbacks stream). */
  readonly callbacksQueue: string;
  readonly group: string;
  readonly batchSize: number;
  readonly concurrency: number;
}

const STAGE = 'responder';

/**
 * `responses` → one `ledger.finalize` per batch → commit. The ledger keeps the first final record
 * per request and enqueues its callback job in the same atomic step, so duplicates from upstream
 * (redeliveries, a retry finalised twice) neither change the result nor call back twice.
 */
export function startRecorder(ctx: StageContext, settings: RecorderSettings): Promise<Relay> {
  const { logger, metrics } = ctx;
  return startRelay({
    stage: STAGE,
    backend: settings.kafka,
    queue: settings.responsesTopic,
    group: settings.group,
    batchSize: settings.batchSize,
    concurrency: settings.concurrency,
    drainMs: ctx.drainMs,
    logger,
    metrics,
    handle: (batch, out) => {
      const records: FinalRecord[] = [];
      const spans = batchSpans(ctx, out);
      for (const delivery of batch) {
        try {
          const { header, result } = decodeResponse(delivery.payload);
          records.push(recordOf(header, result));
          spans?.add(requestSpan(ctx.tracing, STAGE, header, header.status));
        } catch (error) {
          if (!isParcError(error, 'ENVELOPE_MALFORMED')) throw error;
          metrics.messages.inc({ stage: STAGE, outcome: 'malformed' });
          logger.error({ err: error, stage: STAGE, deliveryId: delivery.id, key: delivery.key }, 'dropping a responses message that cannot be read');
        }
      }
      if (records.length === 0) return;
      out.write(async () => {
        const finalised = await settings.ledger.finalize(records, settings.callbacksQueue);
        metrics.messages.inc({ stage: STAGE, outcome: 'finalised' }, finalised.size);
        metrics.messages.inc({ stage: STAGE, outcome: 'duplicate' }, records.length - finalised.size);
      });
    },
  });
}

function recordOf(header: ResponseHeader, result: string): FinalRecord {
  const record = { id: header.id, batchId: header.batchId, status: header.status, attempts: header.attempts, result, ...(header.reason === undefined ? {} : { reason: header.reason }) };
  return header.callback === undefined ? record : { ...record, callback: JSON.stringify(callbackJobFor(header, header.callback, result)) };
}

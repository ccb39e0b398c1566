import type { FinalOutcome, Envelope } from '@parc/envelope';
import type { DelayedQueue, QueueBackend } from '@parc/queue';
import type { RequestLedger } from '@parc/store';
import type { ParcNames } from '@parc/topology';
import type { BatchOutput } from '../common/output';
import type { StageContext } from '../common/stage-options';
import { requestFields } from '../common/parse';
import { encodeResponse } from '../messages';

/** What the parts of parc-outgoing (done handler, mover, sweep) share. */
export interface OutgoingDeps {
  readonly ctx: StageContext;
  readonly parc: QueueBackend;
  readonly delayed: DelayedQueue;
  readonly kafka: QueueBackend;
  readonly ledger: RequestLedger;
  readonly names: ParcNames;
  readonly responsesTopic: string;
  readonly activeParcIds: () => readonly string[];
  readonly requestsTopicOf: (parcId: string) => string;
  readonly random: () => number;
}

export const STAGE = 'parc-outgoing';

/** Adds the final result of `envelope` to the batch's `responses` publish. */
export function publishFinal(deps: OutgoingDeps, out: BatchOutput, envelope: Envelope, outcome: FinalOutcome, nowMs: number): void {
  out.publish(deps.kafka, deps.responsesTopic, { payload: encodeResponse(envelope, outcome, nowMs), key: envelope.id });
  const label = outcome.status === 'succeeded' ? 'succeeded' : outcome.reason;
  deps.ctx.metrics.messages.inc({ stage: STAGE, outcome: label });
  deps.ctx.logger.debug({ stage: STAGE, ...requestFields(envelope), status: outcome.status, reason: label, attempts: envelope.attempts.length }, 'final');
}

import type { Envelope } from '@parc/envelope';
import type { Transition } from '@parc/store';
import type { BatchOutput } from '../common/output';
import { requestFields, type Parsed } from '../common/parse';
import { publishFinal, STAGE, type OutgoingDeps } from './deps';
import { verdictFor } from './verdict';
import { batchSpans, requestSpan } from '../common/tracing';

interface Retry {
  readonly item: Parsed;
  readonly retryAtMs: number;
}

/**
 * One batch from `done`, checked against the ledger once (one round trip): an outcome the request
 * has already moved past is dropped — it comes from a holder that stalled past its lease (a
 * paused process waking up) or from a duplicate delivery, and acting on it would replace the
 * retry that is due or finish the request with an outcome older than its history. The rest:
 * finals go to `responses`; retries (unless cancelled meanwhile) go to the delayed set, due at
 * their retry time, with one waiting_retry transition per batch. The retry payload is the `done`
 * message as it came (the envelope with its new attempt): nothing is re-serialised.
 */
export async function handleDone(deps: OutgoingDeps, items: readonly Parsed[], out: BatchOutput): Promise<void> {
  if (items.length === 0) return;
  const { stale, cancelled } = await deps.ledger.standing(items.map(({ envelope: { id, batchId, attempts } }) => ({ id, batchId, attempts: attempts.length })));
  const nowMs = deps.ctx.now();
  const retries: Retry[] = [];
  let staleCount = 0;
  const spans = batchSpans(deps.ctx, out);
  for (const [index, item] of items.entries()) {
    if (stale[index] === true) {
      staleCount++;
      deps.ctx.logger.info({ stage: STAGE, ...requestFields(item.envelope), attempts: item.envelope.attempts.length }, 'dropping a stale outcome: the request has moved past this attempt');
      spans?.add(requestSpan(deps.ctx.tracing, STAGE, item.envelope, 'stale'));
      continue;
    }
    const verdict = verdictFor(item.envelope, nowMs, deps.random);
    spans?.add(requestSpan(deps.ctx.tracing, STAGE, item.envelope, verdict.kind === 'final' ? verdict.outcome.status : cancelled.has(item.envelope.id) ? 'cancelled' : 'retry'));
    if (verdict.kind === 'final') publishFinal(deps, out, item.envelope, verdict.outcome, nowMs);
    else retries.push({ item, retryAtMs: verdict.retryAtMs });
  }
  deps.ctx.metrics.messages.inc({ stage: STAGE, outcome: 'stale' }, staleCount);
  const transitions: Transition[] = [];
  for (const { item, retryAtMs } of retries) {
    const { envelope, delivery } = item;
    if (cancelled.has(envelope.id)) {
      publishFinal(deps, out, envelope, { status: 'failed', reason: 'cancelled' }, nowMs);
      continue;
    }
    out.schedule(deps.delayed, { id: envelope.id, payload: delivery.payload, dueAtMs: retryAtMs });
    transitions.push(waitingRetry(envelope));
    deps.ctx.logger.debug({ stage: STAGE, ...requestFields(envelope), attempt: envelope.attempts.length, retryInMs: retryAtMs - nowMs }, 'retry scheduled');
  }
  if (transitions.length > 0) out.write(() => deps.ledger.advance(transitions));
  deps.ctx.metrics.messages.inc({ stage: STAGE, outcome: 'retry' }, transitions.length);
}

function waitingRetry(envelope: Envelope): Transition {
  return { id: envelope.id, batchId: envelope.batchId, state: 'waiting_retry', attempt: envelope.attempts.length };
}

import { decideNext } from '@parc/backoff';
import { deadlineAtMs, outcomeOf, type Envelope, type FinalOutcome } from '@parc/envelope';

/** What parc-outgoing does with an envelope from `done`. */
export type Verdict =
  | { readonly kind: 'final'; readonly outcome: FinalOutcome }
  | { readonly kind: 'retry'; readonly retryAtMs: number };

/**
 * Decides an envelope's fate after its latest attempt (or end marker), in this order:
 * the caller's end marker (`cancelled`, `deadline_exceeded`) → final with that reason; a target
 * refused by the egress policy → final `destination_blocked`; otherwise the retry policy
 * (`decideNext`) → succeeded, failed with its reason, or a retry at `retryAtMs`.
 */
export function verdictFor(envelope: Envelope, nowMs: number, random: () => number): Verdict {
  if (envelope.endReason !== undefined) return { kind: 'final', outcome: { status: 'failed', reason: envelope.endReason } };
  const last = envelope.attempts[envelope.attempts.length - 1];
  // Not expected (the caller always appends an attempt or sets endReason); attempting it again
  // is the safe way out, since nothing about the request has been decided.
  if (last === undefined) return { kind: 'retry', retryAtMs: nowMs };
  if (last.error?.code === 'destination_blocked') return { kind: 'final', outcome: { status: 'failed', reason: 'destination_blocked' } };
  const decision = decideNext({
    policy: envelope.policy,
    attemptsMade: envelope.attempts.length,
    outcome: outcomeOf(last),
    nowMs,
    deadlineAtMs: deadlineAtMs(envelope),
    random,
  });
  switch (decision.kind) {
    case 'succeeded':
      return { kind: 'final', outcome: { status: 'succeeded' } };
    case 'failed':
      return { kind: 'final', outcome: { status: 'failed', reason: decision.reason } };
    case 'retry':
      return { kind: 'retry', retryAtMs: decision.retryAtMs };
  }
}

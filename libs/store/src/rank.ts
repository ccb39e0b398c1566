import type { RequestState } from './ledger';

/** Rank of finished states: above every transition, so nothing moves a finished request. */
export const FINAL_RANK = Number.MAX_SAFE_INTEGER;

/**
 * The order in which transitions apply (see `Transition`): queued < in_flight(1) <
 * waiting_retry(1) < in_flight(2) < … < finished. Adapters store the rank and apply a
 * transition only when its rank is higher.
 */
export function transitionRank(state: RequestState, attempt: number): number {
  switch (state) {
    case 'queued':
      return 0;
    case 'in_flight':
      return attempt * 3 + 1;
    case 'waiting_retry':
      return attempt * 3 + 2;
    case 'succeeded':
    case 'failed':
      return FINAL_RANK;
  }
}

/**
 * Whether the outcome of attempt number `attempts` is stale against the `recorded` rank: the
 * request has moved past the retry that outcome could lead to (a later attempt began, or the
 * request finished). Equal or lower ranks are not stale, so redeliveries are handled again.
 */
export function isStaleOutcome(recorded: number, attempts: number): boolean {
  return recorded > transitionRank('waiting_retry', attempts);
}

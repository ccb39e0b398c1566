import { backoffDelayMs } from './delay';
import type { RetryPolicy } from './policy';
import { FINAL_TRANSPORT_ERROR_CODES, type TransportErrorCode } from './transport-errors';

/** What one attempt produced, as far as retrying is concerned. */
export interface AttemptOutcome {
  /** HTTP status of the response, when one arrived. */
  readonly status?: number;
  /** Transport failure, when the exchange did not complete. */
  readonly errorCode?: TransportErrorCode;
  /** The server's `Retry-After` already converted to ms (see `parseRetryAfter`). */
  readonly retryAfterMs?: number;
}

/** How an attempt's outcome is judged by a policy. */
export type OutcomeClass = 'success' | 'retryable' | 'final';

/**
 * Judges one attempt. A transport `errorCode` takes precedence over a `status`: headers may have
 * arrived before the body timed out or broke, and such an exchange did not complete. Then:
 * 2xx is success; a status in `retryOnStatuses` or an error in `retryOnErrors` is retryable;
 * everything else is final — including 3xx, since redirects are not followed, and the
 * {@link FINAL_TRANSPORT_ERROR_CODES} whatever the policy lists.
 * @throws TypeError when the outcome has neither a status nor an error code (a caller bug).
 */
export function classifyOutcome(
  outcome: Pick<AttemptOutcome, 'status' | 'errorCode'>,
  policy: Pick<RetryPolicy, 'retryOnStatuses' | 'retryOnErrors'>,
): OutcomeClass {
  const { status, errorCode } = outcome;
  if (errorCode !== undefined) {
    if (FINAL_TRANSPORT_ERROR_CODES.includes(errorCode)) return 'final';
    return policy.retryOnErrors.includes(errorCode) ? 'retryable' : 'final';
  }
  if (status === undefined) throw new TypeError('an attempt outcome needs a status or an errorCode');
  if (status >= 200 && status <= 299) return 'success';
  return policy.retryOnStatuses.includes(status) ? 'retryable' : 'final';
}

/** Why `decideNext` gave up on a request. */
export type DecisionFailReason = 'non_retryable_status' | 'non_retryable_error' | 'retries_exhausted' | 'deadline_exceeded';

/**
 * Every reason a request can end without success. Beyond {@link DecisionFailReason}, callers
 * decide `destination_blocked` (the egress policy refused the target before any attempt) and
 * `cancelled` (the user or an operator withdrew the request).
 */
export type FinalReason = DecisionFailReason | 'destination_blocked' | 'cancelled';

/** The next step for a request after an attempt. */
export type RetryDecision =
  | { readonly kind: 'succeeded' }
  | {
      readonly kind: 'retry';
      /** Wait before the next attempt, in whole ms. */
      readonly delayMs: number;
      /** `nowMs + delayMs`: when the next attempt becomes due. */
      readonly retryAtMs: number;
      /** Whether the backoff schedule or the server's Retry-After set the delay. */
      readonly basis: 'backoff' | 'retry-after';
    }
  | { readonly kind: 'failed'; readonly reason: DecisionFailReason };

/** Input of {@link decideNext}. */
export interface DecideNextInput {
  readonly policy: RetryPolicy;
  /** Attempts performed so far, including the one whose outcome is given (>= 1). */
  readonly attemptsMade: number;
  readonly outcome: AttemptOutcome;
  /** The decision time, epoch ms. */
  readonly nowMs: number;
  /** The request's overall deadline, epoch ms; no retry may start after it. */
  readonly deadlineAtMs?: number;
  /** Random source in [0, 1) for jitter. */
  readonly random: () => number;
}

/** The delay the server asked for, when the policy lets it count, bounded by `maxRetryAfterMs`. */
function serverDelayMs(policy: RetryPolicy, retryAfterMs: number | undefined): number | undefined {
  if (!policy.respectRetryAfter || retryAfterMs === undefined || !(retryAfterMs >= 0)) return undefined;
  return Math.min(Math.ceil(retryAfterMs), policy.maxRetryAfterMs);
}

/**
 * Decides what happens after an attempt, checking in this order:
 * 1. success → `succeeded`;
 * 2. a final outcome → `failed` with `non_retryable_error` (error code present) or `non_retryable_status`;
 * 3. `attemptsMade >= maxAttempts` → `failed: retries_exhausted`;
 * 4. delay = backoffDelayMs(policy, attemptsMade - 1); a respected Retry-After, bounded by
 *    `maxRetryAfterMs`, replaces it when larger (`basis: 'retry-after'`);
 * 5. `nowMs + delay > deadlineAtMs` → `failed: deadline_exceeded` (a retry due exactly at the
 *    deadline is still allowed); otherwise `retry`.
 * @throws RangeError when attemptsMade is not a positive integer.
 */
export function decideNext(input: DecideNextInput): RetryDecision {
  const { policy, attemptsMade, outcome, nowMs, deadlineAtMs, random } = input;
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) {
    throw new RangeError(`attemptsMade must be a positive integer, got ${attemptsMade}`);
  }
  const judged = classifyOutcome(outcome, policy);
  if (judged === 'success') return { kind: 'succeeded' };
  if (judged === 'final') {
    return { kind: 'failed', reason: outcome.errorCode !== undefined ? 'non_retryable_error' : 'non_retryable_status' };
  }
  if (attemptsMade >= policy.maxAttempts) return { kind: 'failed', reason: 'retries_exhausted' };

  const backoffMs = backoffDelayMs(policy, attemptsMade - 1, random);
  const requestedMs = serverDelayMs(policy, outcome.retryAfterMs);
  const useServer = requestedMs !== undefined && requestedMs > backoffMs;
  const delayMs = useServer ? requestedMs : backoffMs;
  const retryAtMs = nowMs + delayMs;
  if (deadlineAtMs !== undefined && retryAtMs > deadlineAtMs) return { kind: 'failed', reason: 'deadline_exceeded' };
  return { kind: 'retry', delayMs, retryAtMs, basis: useServer ? 'retry-after' : 'backoff' };
}

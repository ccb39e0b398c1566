/**
 * The retry policy: pure decisions about whether and when a request is attempted again.
 * No I/O, no clocks, no randomness of its own: callers pass `nowMs` and `random`.
 */
export {
  TRANSPORT_ERROR_CODES,
  FINAL_TRANSPORT_ERROR_CODES,
  RETRYABLE_TRANSPORT_ERROR_CODES,
  isTransportErrorCode,
  type TransportErrorCode,
} from './transport-errors';
export {
  DEFAULT_RETRY_POLICY,
  JITTER_MODES,
  RETRY_POLICY_BOUNDS,
  mergeRetryPolicy,
  resolveRetryPolicy,
  retryPolicyIssues,
  type JitterMode,
  type RetryPolicy,
  type RetryPolicyCheckOptions,
} from './policy';
export { backoffDelayMs, exponentialBoundMs, type DelayPolicy, type BoundPolicy } from './delay';
export { parseRetryAfter } from './retry-after';
export {
  classifyOutcome,
  decideNext,
  type AttemptOutcome,
  type DecideNextInput,
  type DecisionFailReason,
  type FinalReason,
  type OutcomeClass,
  type RetryDecision,
} from './decide';

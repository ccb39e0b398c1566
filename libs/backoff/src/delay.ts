import type { RetryPolicy } from './policy';

/** The policy fields the delay depends on. */
export type DelayPolicy = Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs' | 'multiplier' | 'jitter'>;
/** The policy fields the exponential bound depends on. */
export type BoundPolicy = Omit<DelayPolicy, 'jitter'>;

/**
 * The un-jittered delay bound before retry number `retryIndex + 1`:
 * `min(maxDelayMs, initialDelayMs * multiplier^retryIndex)`. `retryIndex` 0 is the wait between
 * the first and the second attempt.
 */
export function exponentialBoundMs(policy: BoundPolicy, retryIndex: number): number {
  if (!Number.isInteger(retryIndex) || retryIndex < 0) {
    throw new RangeError(`retryIndex must be a non-negative integer, got ${retryIndex}`);
  }
  // 0 * Infinity is NaN: a zero initial delay stays zero however large the exponent grows.
  if (policy.initialDelayMs === 0) return 0;
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** retryIndex);
}

/** A random source outside [0, 1] (or NaN) must not push a delay past its bound. */
function unitInterval(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/**
 * The delay in whole ms before retry number `retryIndex + 1`, always within [0, maxDelayMs]:
 * - `full`:  random() * bound (spreads a thundering herd the most; the default),
 * - `equal`: bound / 2 + random() * bound / 2 (never retries sooner than half the bound),
 * - `none`:  the bound itself (deterministic; for tests and polite fixed schedules).
 * `random` returns values in [0, 1), like Math.random, which callers inject.
 */
export function backoffDelayMs(policy: DelayPolicy, retryIndex: number, random: () => number): number {
  const bound = exponentialBoundMs(policy, retryIndex);
  switch (policy.jitter) {
    case 'none':
      return Math.floor(bound);
    case 'equal':
      return Math.floor(bound / 2 + (unitInterval(random()) * bound) / 2);
    case 'full':
      return Math.floor(unitInterval(random()) * bound);
  }
}

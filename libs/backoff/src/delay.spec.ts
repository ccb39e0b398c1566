import fc from 'fast-check';
import { decideNext } from './decide';
import { backoffDelayMs, exponentialBoundMs } from './delay';
import { DEFAULT_RETRY_POLICY, JITTER_MODES, RETRY_POLICY_BOUNDS, type RetryPolicy } from './policy';

describe('backoffDelayMs', () => {
  const policy = { initialDelayMs: 1000, maxDelayMs: 8000, multiplier: 2 };

  it.each([
    { jitter: 'none', retryIndex: 0, random: 0.5, expected: 1000 },
    { jitter: 'none', retryIndex: 2, random: 0.5, expected: 4000 },
    { jitter: 'none', retryIndex: 10, random: 0.5, expected: 8000 },
    { jitter: 'full', retryIndex: 2, random: 0, expected: 0 },
    { jitter: 'full', retryIndex: 2, random: 0.5, expected: 2000 },
    { jitter: 'equal', retryIndex: 2, random: 0, expected: 2000 },
    { jitter: 'equal', retryIndex: 2, random: 0.999, expected: 3998 },
    { jitter: 'full', retryIndex: 2, random: 7, expected: 4000 },
    { jitter: 'full', retryIndex: 2, random: NaN, expected: 0 },
  ] as const)('$jitter jitter, retry index $retryIndex, random $random → $expected ms', ({ jitter, retryIndex, random, expected }) => {
    expect(backoffDelayMs({ ...policy, jitter }, retryIndex, () => random)).toBe(expected);
  });

  it('stays finite for huge exponents and zero initial delays', () => {
    expect(exponentialBoundMs({ initialDelayMs: 1, maxDelayMs: 5000, multiplier: 100 }, 10_000)).toBe(5000);
    expect(exponentialBoundMs({ initialDelayMs: 0, maxDelayMs: 5000, multiplier: 100 }, 10_000)).toBe(0);
  });

  it('refuses a negative or fractional retry index', () => {
    expect(() => exponentialBoundMs(policy, -1)).toThrow(RangeError);
    expect(() => exponentialBoundMs(policy, 0.5)).toThrow(RangeError);
  });
});

const { maxAttempts, initialDelayMs, maxDelayMs, multiplier, maxRetryAfterMs } = RETRY_POLICY_BOUNDS;

/** Any policy within the bounds (maxDelayMs >= initialDelayMs as validation demands). */
const policyArb: fc.Arbitrary<RetryPolicy> = fc
  .record({
    maxAttempts: fc.integer({ min: maxAttempts.min, max: 20 }),
    initialDelayMs: fc.integer({ min: initialDelayMs.min, max: initialDelayMs.max }),
    extraDelayMs: fc.integer({ min: 0, max: maxDelayMs.max - initialDelayMs.max }),
    multiplier: fc.double({ min: multiplier.min, max: multiplier.max, noNaN: true }),
    jitter: fc.constantFrom(...JITTER_MODES),
    respectRetryAfter: fc.boolean(),
    maxRetryAfterMs: fc.integer({ min: maxRetryAfterMs.min, max: maxRetryAfterMs.max }),
  })
  .map(({ extraDelayMs, ...p }) => ({ ...DEFAULT_RETRY_POLICY, ...p, maxDelayMs: p.initialDelayMs + extraDelayMs }));

const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoff properties', () => {
  it('every delay lies within [0, maxDelayMs] and is a whole number of ms', () => {
    fc.assert(
      fc.property(policyArb, fc.nat(2000), randomArb, (policy, retryIndex, r) => {
        const delay = backoffDelayMs(policy, retryIndex, () => r);
        return Number.isInteger(delay) && delay >= 0 && delay <= policy.maxDelayMs;
      }),
    );
  });

  it('full jitter never exceeds the exponential bound, equal jitter never goes below half of it', () => {
    fc.assert(
      fc.property(policyArb, fc.nat(60), randomArb, (policy, retryIndex, r) => {
        const bound = exponentialBoundMs(policy, retryIndex);
        const full = backoffDelayMs({ ...policy, jitter: 'full' }, retryIndex, () => r);
        const equal = backoffDelayMs({ ...policy, jitter: 'equal' }, retryIndex, () => r);
        return full <= bound && equal >= Math.floor(bound / 2) && equal <= bound;
      }),
    );
  });

  const decisionArb = fc.record({
    policy: policyArb,
    attemptsMade: fc.integer({ min: 1, max: 25 }),
    status: fc.integer({ min: 100, max: 599 }),
    retryAfterMs: fc.option(fc.nat(10 * 86_400_000), { nil: undefined }),
    nowMs: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    deadlineOffsetMs: fc.option(fc.integer({ min: -1000, max: 86_400_000 }), { nil: undefined }),
    r: randomArb,
  });

  it('a retry is never due after the deadline, never earlier than now, and never exceeds maxAttempts', () => {
    fc.assert(
      fc.property(decisionArb, ({ policy, attemptsMade, status, retryAfterMs, nowMs, deadlineOffsetMs, r }) => {
        const deadlineAtMs = deadlineOffsetMs === undefined ? undefined : nowMs + deadlineOffsetMs;
        const decision = decideNext({ policy, attemptsMade, outcome: { status, retryAfterMs }, nowMs, deadlineAtMs, random: () => r });
        if (decision.kind !== 'retry') return true;
        return (
          attemptsMade < policy.maxAttempts &&
          (deadlineAtMs === undefined || decision.retryAtMs <= deadlineAtMs) &&
          decision.retryAtMs === nowMs + decision.delayMs &&
          decision.delayMs >= 0 &&
          decision.delayMs <= Math.max(policy.maxDelayMs, policy.maxRetryAfterMs)
        );
      }),
    );
  });
});

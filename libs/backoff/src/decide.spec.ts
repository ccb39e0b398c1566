import { classifyOutcome, decideNext, type AttemptOutcome, type RetryDecision } from './decide';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './policy';

const NOW = 1_700_000_000_000;
const fixed = (value: number) => () => value;
/** Deterministic schedule: 1 s, 2 s, 4 s, ... capped at 10 s. */
const POLICY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, jitter: 'none', initialDelayMs: 1000, maxDelayMs: 10_000 };

describe('classifyOutcome', () => {
  it.each<{ name: string; outcome: AttemptOutcome; policy?: Partial<RetryPolicy>; expected: string }>([
    { name: '200', outcome: { status: 200 }, expected: 'success' },
    { name: '204', outcome: { status: 204 }, expected: 'success' },
    { name: '301 (redirects are not followed)', outcome: { status: 301 }, expected: 'final' },
    { name: '304', outcome: { status: 304 }, expected: 'final' },
    { name: '400', outcome: { status: 400 }, expected: 'final' },
    { name: '404', outcome: { status: 404 }, expected: 'final' },
    { name: '408', outcome: { status: 408 }, expected: 'retryable' },
    { name: '425', outcome: { status: 425 }, expected: 'retryable' },
    { name: '429', outcome: { status: 429 }, expected: 'retryable' },
    { name: '500', outcome: { status: 500 }, expected: 'retryable' },
    { name: '501 (5xx is retried by default)', outcome: { status: 501 }, expected: 'retryable' },
    { name: '501 when the policy leaves it out', outcome: { status: 501 }, policy: { retryOnStatuses: [503] }, expected: 'final' },
    { name: '503', outcome: { status: 503 }, expected: 'retryable' },
    { name: 'timeout', outcome: { errorCode: 'timeout' }, expected: 'retryable' },
    { name: 'connection_refused', outcome: { errorCode: 'connection_refused' }, expected: 'retryable' },
    { name: 'dns_failure not in the policy', outcome: { errorCode: 'dns_failure' }, policy: { retryOnErrors: ['timeout'] }, expected: 'final' },
    { name: 'destination_blocked', outcome: { errorCode: 'destination_blocked' }, expected: 'final' },
    {
      name: 'destination_blocked even if a policy lists it',
      outcome: { errorCode: 'destination_blocked' },
      policy: { retryOnErrors: ['destination_blocked'] },
      expected: 'final',
    },
    { name: 'invalid_request', outcome: { errorCode: 'invalid_request' }, expected: 'final' },
    { name: 'body timeout after 200 headers (error wins)', outcome: { status: 200, errorCode: 'timeout' }, expected: 'retryable' },
  ])('$name → $expected', ({ outcome, policy, expected }) => {
    expect(classifyOutcome(outcome, { ...DEFAULT_RETRY_POLICY, ...policy })).toBe(expected);
  });

  it('refuses an outcome with neither status nor error code', () => {
    expect(() => classifyOutcome({}, DEFAULT_RETRY_POLICY)).toThrow('an attempt outcome needs a status or an errorCode');
  });
});

describe('decideNext', () => {
  it.each<{
    name: string;
    attemptsMade: number;
    outcome: AttemptOutcome;
    policy?: Partial<RetryPolicy>;
    deadlineAtMs?: number;
    random?: number;
    expected: RetryDecision;
  }>([
    { name: 'success', attemptsMade: 1, outcome: { status: 201 }, expected: { kind: 'succeeded' } },
    { name: '404 is final', attemptsMade: 1, outcome: { status: 404 }, expected: { kind: 'failed', reason: 'non_retryable_status' } },
    { name: '302 is final', attemptsMade: 1, outcome: { status: 302 }, expected: { kind: 'failed', reason: 'non_retryable_status' } },
    {
      name: 'blocked destination is final',
      attemptsMade: 1,
      outcome: { errorCode: 'destination_blocked' },
      expected: { kind: 'failed', reason: 'non_retryable_error' },
    },
    {
      name: 'first retry waits initialDelayMs',
      attemptsMade: 1,
      outcome: { status: 503 },
      expected: { kind: 'retry', delayMs: 1000, retryAtMs: NOW + 1000, basis: 'backoff' },
    },
    {
      name: 'third retry waits initial * 2^2',
      attemptsMade: 3,
      outcome: { errorCode: 'connection_reset' },
      expected: { kind: 'retry', delayMs: 4000, retryAtMs: NOW + 4000, basis: 'backoff' },
    },
    {
      name: 'delay is capped at maxDelayMs',
      attemptsMade: 9,
      policy: { maxAttempts: 10 },
      outcome: { status: 500 },
      expected: { kind: 'retry', delayMs: 10_000, retryAtMs: NOW + 10_000, basis: 'backoff' },
    },
    {
      name: 'full jitter scales the bound by random()',
      attemptsMade: 2,
      policy: { jitter: 'full' },
      random: 0.25,
      outcome: { status: 500 },
      expected: { kind: 'retry', delayMs: 500, retryAtMs: NOW + 500, basis: 'backoff' },
    },
    {
      name: '429 with Retry-After seconds longer than the backoff',
      attemptsMade: 1,
      outcome: { status: 429, retryAfterMs: 30_000 },
      expected: { kind: 'retry', delayMs: 30_000, retryAtMs: NOW + 30_000, basis: 'retry-after' },
    },
    {
      name: 'Retry-After shorter than the backoff is ignored',
      attemptsMade: 3,
      outcome: { status: 503, retryAfterMs: 1000 },
      expected: { kind: 'retry', delayMs: 4000, retryAtMs: NOW + 4000, basis: 'backoff' },
    },
    {
      name: 'Retry-After is bounded by maxRetryAfterMs',
      attemptsMade: 1,
      policy: { maxRetryAfterMs: 60_000 },
      outcome: { status: 503, retryAfterMs: 3_600_000 },
      expected: { kind: 'retry', delayMs: 60_000, retryAtMs: NOW + 60_000, basis: 'retry-after' },
    },
    {
      name: 'Retry-After is ignored when the policy says so',
      attemptsMade: 1,
      policy: { respectRetryAfter: false },
      outcome: { status: 429, retryAfterMs: 30_000 },
      expected: { kind: 'retry', delayMs: 1000, retryAtMs: NOW + 1000, basis: 'backoff' },
    },
    {
      name: 'retry due exactly at the deadline is allowed',
      attemptsMade: 1,
      deadlineAtMs: NOW + 1000,
      outcome: { status: 503 },
      expected: { kind: 'retry', delayMs: 1000, retryAtMs: NOW + 1000, basis: 'backoff' },
    },
    {
      name: 'retry after the deadline',
      attemptsMade: 1,
      deadlineAtMs: NOW + 999,
      outcome: { status: 503 },
      expected: { kind: 'failed', reason: 'deadline_exceeded' },
    },
    {
      name: 'Retry-After pushes the retry past the deadline',
      attemptsMade: 1,
      deadlineAtMs: NOW + 10_000,
      outcome: { status: 429, retryAfterMs: 20_000 },
      expected: { kind: 'failed', reason: 'deadline_exceeded' },
    },
    {
      name: 'attempts exhausted',
      attemptsMade: 5,
      outcome: { status: 503 },
      expected: { kind: 'failed', reason: 'retries_exhausted' },
    },
    {
      name: 'exhaustion is reported before the deadline',
      attemptsMade: 5,
      deadlineAtMs: NOW,
      outcome: { status: 503 },
      expected: { kind: 'failed', reason: 'retries_exhausted' },
    },
    {
      name: 'maxAttempts 1 never retries',
      attemptsMade: 1,
      policy: { maxAttempts: 1 },
      outcome: { errorCode: 'timeout' },
      expected: { kind: 'failed', reason: 'retries_exhausted' },
    },
  ])('$name', ({ attemptsMade, outcome, policy, deadlineAtMs, random, expected }) => {
    const decision = decideNext({
      policy: { ...POLICY, ...policy },
      attemptsMade,
      outcome,
      nowMs: NOW,
      deadlineAtMs,
      random: fixed(random ?? 0.5),
    });
    expect(decision).toEqual(expected);
  });

  it('refuses attemptsMade below 1', () => {
    expect(() =>
      decideNext({ policy: POLICY, attemptsMade: 0, outcome: { status: 503 }, nowMs: NOW, random: Math.random }),
    ).toThrow(RangeError);
  });
});

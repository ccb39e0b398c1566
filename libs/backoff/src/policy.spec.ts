import { isParcError, type FieldIssue } from '@parc/errors';
import { DEFAULT_RETRY_POLICY, mergeRetryPolicy, resolveRetryPolicy, retryPolicyIssues, type RetryPolicy } from './policy';
import { RETRYABLE_TRANSPORT_ERROR_CODES } from './transport-errors';

function issuesOf(partial: Record<string, unknown>, path?: string): FieldIssue[] {
  return retryPolicyIssues({ ...DEFAULT_RETRY_POLICY, ...partial }, path === undefined ? {} : { path });
}

describe('DEFAULT_RETRY_POLICY', () => {
  it('is itself valid and retries 408, 425, 429, every 5xx and the transient transport errors', () => {
    expect(retryPolicyIssues(DEFAULT_RETRY_POLICY)).toEqual([]);
    expect(DEFAULT_RETRY_POLICY.retryOnStatuses).toEqual(expect.arrayContaining([408, 425, 429, 500, 501, 503, 599]));
    expect(DEFAULT_RETRY_POLICY.retryOnStatuses).toHaveLength(3 + 100);
    expect(DEFAULT_RETRY_POLICY.retryOnErrors).toEqual(RETRYABLE_TRANSPORT_ERROR_CODES);
    expect(DEFAULT_RETRY_POLICY.retryOnErrors).not.toContain('destination_blocked');
  });

  it('cannot be mutated by a careless caller', () => {
    expect(() => (DEFAULT_RETRY_POLICY.retryOnStatuses as number[]).push(404)).toThrow(TypeError);
  });
});

describe('resolveRetryPolicy', () => {
  it('merges a partial policy over the defaults, ignoring explicit undefined', () => {
    const policy = resolveRetryPolicy({ maxAttempts: 3, jitter: 'none', initialDelayMs: undefined });
    expect(policy).toEqual<RetryPolicy>({ ...DEFAULT_RETRY_POLICY, maxAttempts: 3, jitter: 'none' });
    expect(resolveRetryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(mergeRetryPolicy({ maxAttempts: 0 }).maxAttempts).toBe(0);
  });

  it('throws ENVELOPE_INVALID naming every offending field', () => {
    let thrown: unknown;
    try {
      resolveRetryPolicy({ maxAttempts: 0, multiplier: 0.5 });
    } catch (error) {
      thrown = error;
    }
    expect(isParcError(thrown, 'ENVELOPE_INVALID')).toBe(true);
    expect(thrown).toMatchObject({
      message: 'retry policy is invalid: retry.maxAttempts, retry.multiplier',
      details: [
        { path: 'retry.maxAttempts', message: 'must be at least 1' },
        { path: 'retry.multiplier', message: 'must be at least 1' },
      ],
    });
  });
});

describe('retryPolicyIssues', () => {
  it.each([
    { name: 'fractional attempts', patch: { maxAttempts: 2.5 }, path: 'retry.maxAttempts', message: 'must be an integer' },
    { name: 'string number', patch: { initialDelayMs: '1000' }, path: 'retry.initialDelayMs', message: 'must be an integer' },
    { name: 'NaN multiplier', patch: { multiplier: NaN }, path: 'retry.multiplier', message: 'must be a number' },
    { name: 'too many attempts', patch: { maxAttempts: 1001 }, path: 'retry.maxAttempts', message: 'must be at most 1000' },
    { name: 'negative delay', patch: { initialDelayMs: -1 }, path: 'retry.initialDelayMs', message: 'must be at least 0' },
    {
      name: 'cap below the initial delay',
      patch: { initialDelayMs: 5000, maxDelayMs: 1000 },
      path: 'retry.maxDelayMs',
      message: 'must be at least initialDelayMs (5000)',
    },
    { name: 'unknown jitter', patch: { jitter: 'half' }, path: 'retry.jitter', message: 'must be one of: full, equal, none' },
    {
      name: 'non-boolean respectRetryAfter',
      patch: { respectRetryAfter: 'yes' },
      path: 'retry.respectRetryAfter',
      message: 'must be a boolean (true or false)',
    },
    {
      name: 'success status listed',
      patch: { retryOnStatuses: [503, 200] },
      path: 'retry.retryOnStatuses[1]',
      message: 'must be an HTTP status from 400 to 599 (2xx is success and 3xx is never retried)',
    },
    {
      name: 'duplicate status',
      patch: { retryOnStatuses: [503, 503] },
      path: 'retry.retryOnStatuses[1]',
      message: 'duplicates 503 (list each value once)',
    },
    { name: 'statuses not a list', patch: { retryOnStatuses: 503 }, path: 'retry.retryOnStatuses', message: 'must be an array of HTTP status codes' },
    {
      name: 'final error listed',
      patch: { retryOnErrors: ['timeout', 'destination_blocked'] },
      path: 'retry.retryOnErrors[1]',
      message: 'destination_blocked is final and can never be retried',
    },
    {
      name: 'unknown error code',
      patch: { retryOnErrors: ['ECONNRESET'] },
      path: 'retry.retryOnErrors[0]',
      message: expect.stringMatching(/^must be one of: timeout, connect_timeout, /),
    },
    { name: 'unknown field', patch: { maxRetries: 3 }, path: 'retry.maxRetries', message: expect.stringMatching(/^is not a retry policy field \(known: maxAttempts, /) },
  ])('$name → $path', ({ patch, path, message }) => {
    expect(issuesOf(patch)).toEqual([{ path, message }]);
  });

  it('uses the given path prefix', () => {
    expect(issuesOf({ maxAttempts: 0 }, 'policy')).toEqual([{ path: 'policy.maxAttempts', message: 'must be at least 1' }]);
    expect(retryPolicyIssues(null, { path: 'policy' })).toEqual([{ path: 'policy', message: 'must be an object' }]);
  });
});

import { decideNext } from '@parc/backoff';
import { appendAttempt, deadlineAtMs, outcomeOf, requestBodyBytes } from './attempts';
import { recordBody } from './base64';
import { NOW_MS, validEnvelope } from './envelope.fixture';
import { validateEnvelope } from './validate';

describe('appendAttempt', () => {
  it('returns a new envelope with the next attempt number and leaves the input untouched', () => {
    const original = validEnvelope();
    const snapshot = structuredClone(original);
    const next = appendAttempt(original, {
      startedAt: '2025-01-15T12:00:07.000Z',
      durationMs: 30_000,
      error: { code: 'timeout', message: 'no response headers within 30000 ms' },
    });
    expect(original).toEqual(snapshot);
    expect(next.attempts).toHaveLength(2);
    expect(next.attempts[1]).toEqual({
      attempt: 2,
      startedAt: '2025-01-15T12:00:07.000Z',
      durationMs: 30_000,
      error: { code: 'timeout', message: 'no response headers within 30000 ms' },
    });
    expect(validateEnvelope(next).ok).toBe(true);
  });
});

describe('recordBody', () => {
  it.each([
    { name: 'empty body', body: '', limit: 10, bodyBase64: '', bodyTruncated: false },
    { name: 'body within the limit', body: 'hello', limit: 5, bodyBase64: 'aGVsbG8=', bodyTruncated: false },
    { name: 'body over the limit', body: 'hello world', limit: 5, bodyBase64: 'aGVsbG8=', bodyTruncated: true },
    { name: 'zero limit', body: 'hello', limit: 0, bodyBase64: '', bodyTruncated: true },
  ])('$name', ({ body, limit, bodyBase64, bodyTruncated }) => {
    expect(recordBody(new TextEncoder().encode(body), limit)).toEqual({ bodyBase64, bodyTruncated });
  });

  it('respects the view of a Uint8Array into a larger buffer', () => {
    const whole = Buffer.from('xxhelloxx');
    expect(recordBody(whole.subarray(2, 7), 100).bodyBase64).toBe(Buffer.from('hello').toString('base64'));
  });
});

describe('requestBodyBytes', () => {
  it('decodes the body, or gives undefined without one', () => {
    const envelope = validEnvelope();
    expect(requestBodyBytes(envelope)?.toString()).toBe('{"hello":"world"}');
    const { bodyBase64: _omitted, ...bodyless } = envelope.request;
    expect(requestBodyBytes({ ...envelope, request: bodyless })).toBeUndefined();
  });
});

describe('outcomeOf and deadlineAtMs feed decideNext', () => {
  it('turns the last attempt into a retry decision honouring its Retry-After', () => {
    const envelope = validEnvelope();
    const [last] = envelope.attempts.slice(-1);
    if (last === undefined) throw new Error('the fixture has an attempt');
    expect(outcomeOf(last)).toEqual({ status: 503, errorCode: undefined, retryAfterMs: 5000 });
    expect(deadlineAtMs(envelope)).toBe(NOW_MS + 3_600_000);
    const decision = decideNext({
      policy: envelope.policy,
      attemptsMade: envelope.attempts.length,
      outcome: outcomeOf(last),
      nowMs: NOW_MS,
      deadlineAtMs: deadlineAtMs(envelope),
      random: () => 0,
    });
    expect(decision).toEqual({ kind: 'retry', delayMs: 5000, retryAtMs: NOW_MS + 5000, basis: 'retry-after' });
  });
});

import { DEFAULT_RETRY_POLICY } from '@parc/backoff';
import { isParcError } from '@parc/errors';
import { createEnvelope, DEFAULT_REQUEST_TIMEOUT_MS, type CreateEnvelopeOptions, type EnvelopeInput, type RequestInput } from './create';
import { NOW_MS } from './envelope.fixture';
import { newTraceId, newUlid } from './ids';
import { ULID_PATTERN, type HttpMethod } from './schema';
import { validateEnvelope } from './validate';

const request: RequestInput = { method: 'POST', url: 'https://api.example.com/orders', bodyBase64: 'e30=' };
let counter = 0;
const options: CreateEnvelopeOptions = {
  nowMs: NOW_MS,
  newId: () => `01JHNB4J00000000000000000${counter++}`,
  newTraceId: () => 'a'.repeat(32),
};

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

beforeEach(() => {
  counter = 0;
});

describe('createEnvelope', () => {
  it('fills ids, timestamps, defaults and an empty attempt list', () => {
    expect(createEnvelope({ request }, options)).toEqual({
      v: 1,
      id: '01JHNB4J000000000000000000',
      traceId: 'a'.repeat(32),
      batchId: '01JHNB4J000000000000000001',
      acceptedAt: '2025-01-15T12:00:00.000Z',
      request: { ...request, headers: {}, timeoutMs: DEFAULT_REQUEST_TIMEOUT_MS },
      policy: DEFAULT_RETRY_POLICY,
      attempts: [],
    });
  });

  it('keeps what the user gave: batch, trace, callback, metadata, delay and deadline', () => {
    const input: EnvelopeInput = {
      request: { ...request, headers: { 'X-Api-Key': 'k' }, timeoutMs: 5000 },
      batchId: '01JHNB4J00BATCHBATCHBATCH0',
      traceId: 'b'.repeat(32),
      callback: { url: 'https://client.example.com/results' },
      metadata: { order: 17 },
      delayMs: 60_000,
      deadlineMs: 3_600_000,
    };
    expect(createEnvelope(input, options)).toMatchObject({
      batchId: input.batchId,
      traceId: input.traceId,
      notBefore: '2025-01-15T12:01:00.000Z',
      deadlineAt: '2025-01-15T13:00:00.000Z',
      request: input.request,
      callback: input.callback,
      metadata: input.metadata,
    });
  });

  it('layers the user policy over the deployment defaults over DEFAULT_RETRY_POLICY', () => {
    const envelope = createEnvelope(
      { request, policy: { maxAttempts: 3, jitter: undefined } },
      { ...options, defaultPolicy: { maxAttempts: 8, jitter: 'equal' }, defaultTimeoutMs: 2000 },
    );
    expect(envelope.policy).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 3, jitter: 'equal' });
    expect(envelope.request.timeoutMs).toBe(2000);
  });

  it('omits notBefore for a zero delay', () => {
    expect(createEnvelope({ request, delayMs: 0 }, options)).not.toHaveProperty('notBefore');
  });

  it('uses real ULIDs and trace ids by default', () => {
    const envelope = createEnvelope({ request }, { nowMs: NOW_MS });
    expect(envelope.id).toMatch(new RegExp(ULID_PATTERN));
    expect(envelope.id.slice(0, 10)).toBe(newUlid(NOW_MS).slice(0, 10));
    expect(envelope.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(validateEnvelope(envelope).ok).toBe(true);
  });

  it.each<{ name: string; input: EnvelopeInput; limits?: CreateEnvelopeOptions['limits']; path: string; message: string }>([
    { name: 'negative delay', input: { request, delayMs: -1 }, path: 'delayMs', message: 'must be a non-negative integer number of milliseconds' },
    { name: 'zero deadline', input: { request, deadlineMs: 0 }, path: 'deadlineMs', message: 'must be a positive integer number of milliseconds' },
    { name: 'NaN deadline', input: { request, deadlineMs: NaN }, path: 'deadlineMs', message: 'must be a positive integer number of milliseconds' },
    { name: 'deadline before the delay ends', input: { request, delayMs: 5000, deadlineMs: 5000 }, path: 'deadlineMs', message: 'must be greater than delayMs (5000), or no attempt could ever start' },
    { name: 'bad URL', input: { request: { ...request, url: 'file:///etc/passwd' } }, path: 'request.url', message: 'must use http or https, not file' },
    { name: 'bad policy', input: { request, policy: { maxAttempts: 0 } }, path: 'policy.maxAttempts', message: 'must be at least 1' },
    { name: 'policy above the limit', input: { request, policy: { maxAttempts: 9 } }, limits: { maxAttempts: 8 }, path: 'policy.maxAttempts', message: 'must be at most 8 (limit maxAttempts)' },
    { name: 'body on GET', input: { request: { ...request, method: 'GET' } }, path: 'request.bodyBase64', message: 'must be absent for GET requests' },
    // An untyped caller (JSON from elsewhere) cannot build an envelope Parc would send as TRACE or CONNECT.
    ...['TRACE', 'CONNECT'].map((method) => ({
      name: `method ${method}`,
      input: { request: { ...request, method: method as HttpMethod } },
      path: 'request.method',
      message: 'must be one of: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
    })),
  ])('rejects $name with ENVELOPE_INVALID at $path', ({ input, limits, path, message }) => {
    const error = thrownBy(() => createEnvelope(input, { ...options, limits }));
    expect(isParcError(error, 'ENVELOPE_INVALID')).toBe(true);
    expect(error).toMatchObject({ message: `request is invalid: ${path} ${message}`, details: [{ path, message }] });
  });
});

describe('ids', () => {
  it('newUlid is strictly increasing within one millisecond and when the clock steps back', () => {
    const ids = [newUlid(NOW_MS), newUlid(NOW_MS), newUlid(NOW_MS - 5000), newUlid(NOW_MS + 1)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('newTraceId returns 32 lowercase hex characters, different every time', () => {
    const a = newTraceId();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newTraceId()).not.toBe(a);
  });
});

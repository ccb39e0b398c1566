import { resolveEnvelopeLimits } from '@parc/envelope';
import type { RequestSpec } from '../schemas/request-spec';
import { SpecConverter, apiPath } from './converter';

describe('apiPath', () => {
  it.each([
    { envelope: 'request.url', spec: { url: 'x' }, api: 'url' },
    { envelope: 'request.headers.X-A', spec: { url: 'x' }, api: 'headers.X-A' },
    { envelope: 'request.bodyBase64', spec: { url: 'x', body: 't' }, api: 'body' },
    { envelope: 'request.bodyBase64', spec: { url: 'x', bodyBase64: 'AA==' }, api: 'bodyBase64' },
    { envelope: 'policy.maxAttempts', spec: { url: 'x' }, api: 'retry.maxAttempts' },
    { envelope: 'policy.retryOnStatuses[2]', spec: { url: 'x' }, api: 'retry.retryOn[2]' },
    { envelope: 'policy', spec: { url: 'x' }, api: 'retry' },
    { envelope: 'notBefore', spec: { url: 'x' }, api: 'delayMs' },
    { envelope: 'deadlineAt', spec: { url: 'x' }, api: 'deadlineMs' },
    { envelope: 'callback.url', spec: { url: 'x' }, api: 'callback.url' },
    { envelope: 'metadata', spec: { url: 'x' }, api: 'metadata' },
  ] as { envelope: string; spec: RequestSpec; api: string }[])('$envelope → $api', ({ envelope, spec, api }) => {
    expect(apiPath(envelope, spec)).toBe(api);
  });
});

describe('SpecConverter', () => {
  const converter = new SpecConverter({
    envelopeLimits: resolveEnvelopeLimits(),
    defaultPolicy: { maxAttempts: 3, initialDelayMs: 500 },
    defaultTimeoutMs: 10_000,
    defaultDeadlineMs: 60_000,
  });
  const ids = { batchId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' };
  const nowMs = Date.UTC(2025, 0, 1);

  it('puts the user’s retry over the deployment policy, and the deployment timeout and deadline under the user’s', () => {
    const result = converter.convert({ url: 'https://x.example/', retry: { maxAttempts: 7, retryOn: [429] }, delayMs: 1000 }, {}, ids, nowMs);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.envelope.policy).toMatchObject({ maxAttempts: 7, initialDelayMs: 500, retryOnStatuses: [429] });
    expect(result.envelope.request.timeoutMs).toBe(10_000);
    // The default deadline counts from the first possible attempt.
    expect(result.envelope.deadlineAt).toBe(new Date(nowMs + 61_000).toISOString());
    const own = converter.convert({ url: 'https://x.example/', deadlineMs: 5_000 }, {}, ids, nowMs);
    expect(own.ok && own.envelope.deadlineAt).toBe(new Date(nowMs + 5_000).toISOString());
  });

  it('checks a callback on its own', () => {
    expect(converter.callbackIssues({ url: 'https://me.example/' })).toEqual([]);
    expect(converter.callbackIssues({ url: 'https://me.example/', headers: { 'Content-Length': '1' } })).toEqual([
      { path: 'callback.headers.Content-Length', message: 'is a hop-by-hop or framing header that the HTTP client sets itself; remove it' },
    ]);
  });
});

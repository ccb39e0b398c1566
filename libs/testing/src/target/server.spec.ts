import { request } from 'node:http';
import { startTargetServer, type TargetServer } from './server';

/** A raw node:http request (no pooling), resolving with status, headers, body or the socket error. */
function call(
  url: string,
  options: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; headersAt: number; endAt: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', agent: false, timeout: options.timeoutMs }, (res) => {
      const headersAt = performance.now() - started;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), headersAt, endAt: performance.now() - started }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('target server', () => {
  let server: TargetServer;
  beforeEach(async () => {
    server = await startTargetServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('answers 200 with a JSON description by default and records the call', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await call(`${server.url}/hook`, { method: 'POST', body: 'hello' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ key: '/hook', attempt: 1, step: null, status: 200 });
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]).toMatchObject({ method: 'POST', url: '/hook', bodyBytes: 5, key: '/hook', attempt: 1, step: undefined, outcome: 200 });
    expect(server.calls[0]?.headers['content-length']).toBe('5');
    expect(server.calls[0]?.receivedAt).toBeGreaterThan(Date.now() - 5_000);
  });

  it('scripts status, Retry-After and body size', async () => {
    const res = await call(server.urlFor('/', { status: 429, retryAfter: 7, bodyBytes: 1000 }));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.body).toHaveLength(1000);

    const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
    expect((await call(server.urlFor('/', { status: 503, retryAfter: date }))).headers['retry-after']).toBe(date);
    const empty = await call(server.urlFor('/', { status: 204 }));
    expect([empty.status, empty.body]).toEqual([204, '']);
  });

  it('delays the headers by latencyMs, and the body by bodyDelayMs', async () => {
    const slow = await call(server.urlFor('/', { latencyMs: 150 }));
    expect(slow.headersAt).toBeGreaterThanOrEqual(140);

    const slowBody = await call(server.urlFor('/', { bodyDelayMs: 150, bodyBytes: 10 }));
    expect(slowBody.headersAt).toBeLessThan(100);
    expect(slowBody.endAt).toBeGreaterThanOrEqual(140);
  });

  it('reset=1 resets the connection: the client sees ECONNRESET', async () => {
    await expect(call(server.urlFor('/', { reset: 1 }))).rejects.toMatchObject({ code: 'ECONNRESET' });
    const viaFetch = await fetch(server.urlFor('/', { reset: 1 })).catch((e: unknown) => e);
    // fetch (undici) reports "fetch failed" with the socket error as its cause. (Errors made by
    // Node itself come from another realm than Jest's globals, hence names instead of instanceof.)
    expect(viaFetch).toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNRESET' } });
    expect(server.calls.map((c) => c.outcome)).toEqual(['reset', 'reset']);
  });

  it('hang=1 never answers: the client timeout fires, and close() still returns promptly', async () => {
    await expect(call(server.urlFor('/', { hang: 1 }), { timeoutMs: 200 })).rejects.toMatchObject({ code: 'CLIENT_TIMEOUT' });
    const viaFetch = await fetch(server.urlFor('/', { hang: 1 }), { signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
    expect((viaFetch as Error).name).toBe('TimeoutError');

    // A hanging request still open when the server closes is cut, not waited for.
    const pending = call(server.urlFor('/', { hang: 1 })).catch((e: unknown) => e);
    await waitFor(() => server.calls.length === 3);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toMatchObject({ code: 'ECONNRESET' });
    expect(server.calls.map((c) => c.outcome)).toEqual(['hang', 'hang', 'hang']);
  });

  it('seq serves the n-th step to the n-th call with the same key, repeating the last', async () => {
    const url = server.urlFor('/pay', { seq: '500,503~2,200', key: 'req-1' });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await call(url));
    expect(results.map((r) => r.status)).toEqual([500, 503, 200, 200]);
    expect(results.map((r) => r.headers['retry-after'])).toEqual([undefined, '2', undefined, undefined]);
    expect(results.map((r) => r.headers['x-parc-target-step'])).toEqual(['0', '1', '2', '2']);
    expect(server.callsFor('req-1').map((c) => [c.attempt, c.step, c.outcome])).toEqual([
      [1, 0, 500],
      [2, 1, 503],
      [3, 2, 200],
      [4, 2, 200],
    ]);
    // Another key has its own counter.
    expect((await call(server.urlFor('/pay', { seq: '500,503~2,200', key: 'req-2' }))).status).toBe(500);
    expect(Object.fromEntries(server.callCounts)).toEqual({ 'req-1': 4, 'req-2': 1 });
  });

  it('seq without key counts calls with the identical URL, and steps can reset, hang and wait', async () => {
    const url = server.urlFor('/', { seq: 'reset,hang,200@100' });
    await expect(call(url)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(call(url, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'CLIENT_TIMEOUT' });
    const third = await call(url);
    expect(third.status).toBe(200);
    expect(third.headersAt).toBeGreaterThanOrEqual(90);
    expect(server.calls.map((c) => [c.key, c.attempt, c.outcome])).toEqual([
      [new URL(url).pathname + new URL(url).search, 1, 'reset'],
      [new URL(url).pathname + new URL(url).search, 2, 'hang'],
      [new URL(url).pathname + new URL(url).search, 3, 200],
    ]);
  });

  it('records arrival times precise enough to assert the spacing of retries', async () => {
    const url = server.urlFor('/', { seq: '503,200', key: 'spaced' });
    await call(url);
    await new Promise((resolve) => setTimeout(resolve, 120));
    await call(url);
    const [first, second] = server.callsFor('spaced');
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(115);
  });

  it('answers a malformed script with 400 and says why', async () => {
    const res = await call(server.urlFor('/', { seq: '500,5x0' }));
    expect(res.status).toBe(400);
    expect(res.headers['x-parc-target-error']).toMatch(/seq step "5x0"/);
    expect(res.body).toMatch(/^target server: seq step "5x0" is not/);
    expect(server.calls[0]?.outcome).toBe('invalid');
  });

  it('reset() forgets calls and restarts sequences', async () => {
    const url = server.urlFor('/', { seq: '500,200', key: 'k' });
    expect((await call(url)).status).toBe(500);
    server.reset();
    expect(server.calls).toHaveLength(0);
    expect(server.callCounts.size).toBe(0);
    expect((await call(url)).status).toBe(500);
  });

  it('handles many concurrent keep-alive requests', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => fetch(server.urlFor('/', { seq: '503,200', key: `k${i % 100}` })).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 503)).toHaveLength(100);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

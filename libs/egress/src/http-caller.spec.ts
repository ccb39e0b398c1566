import { HTTP_METHODS } from '@parc/envelope';
import { freePort, startTargetServer, type TargetServer } from '@parc/testing';
import { HttpCaller, type HttpCallerOptions, type HttpRequest } from './http-caller';
import { EgressPolicy } from './policy';
import { DEFAULT_USER_AGENT } from './version';

const LOOPBACK = EgressPolicy.fromAllowList(['127.0.0.1']);
const decode = (base64: string | undefined): string => Buffer.from(base64 ?? '', 'base64').toString();
const get = (url: string, timeoutMs = 2000): HttpRequest => ({ method: 'GET', url, headers: {}, timeoutMs });
const TRACE = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'rojo=00f067aa0ba902b7' };
const OWN_TRACEPARENT = '00-11111111111111111111111111111111-2222222222222222-01';

describe('HttpCaller against the target server', () => {
  let target: TargetServer;
  let caller: HttpCaller;
  const callers: HttpCaller[] = [];
  const newCaller = (options: Partial<HttpCallerOptions> = {}): HttpCaller => {
    const created = new HttpCaller({ policy: LOOPBACK, maxResponseBodyBytes: 1024, ...options });
    callers.push(created);
    return created;
  };

  beforeEach(async () => {
    target = await startTargetServer();
    caller = newCaller();
  });
  afterEach(async () => {
    await Promise.all(callers.splice(0).map((created) => created.close()));
    await target.close();
  });

  it('records a 200 with headers and body, and sends the default User-Agent', async () => {
    const record = await caller.call(get(target.urlFor('/hook', { key: 'k1' })));
    expect(record).toMatchObject({ status: 200, headers: { 'content-type': 'application/json', 'x-parc-target-attempt': '1' } });
    expect(JSON.parse(decode(record.bodyBase64))).toEqual({ key: 'k1', attempt: 1, step: null, status: 200 });
    expect(record.error).toBeUndefined();
    expect(record.bodyTruncated).toBeUndefined();
    expect(Date.parse(record.startedAt)).toBeGreaterThan(Date.now() - 5000);
    expect(record.durationMs).toBeGreaterThanOrEqual(0);
    expect(target.calls[0]?.headers['user-agent']).toBe(DEFAULT_USER_AGENT);
  });

  it('records a 404 as an ordinary response', async () => {
    const record = await caller.call(get(target.urlFor('/', { status: 404 })));
    expect(record).toMatchObject({ status: 404 });
    expect(record.error).toBeUndefined();
  });

  it('parses Retry-After in seconds', async () => {
    const record = await caller.call(get(target.urlFor('/', { status: 503, retryAfter: 2 })));
    expect(record).toMatchObject({ status: 503, retryAfterMs: 2000, headers: { 'retry-after': '2' } });
  });

  it('parses Retry-After as an HTTP-date against the injected clock, which also stamps the record', async () => {
    const now = Date.UTC(2025, 0, 15, 12, 0, 0);
    const clocked = newCaller({ now: () => now });
    const record = await clocked.call(get(target.urlFor('/', { status: 503, retryAfter: 'Wed, 15 Jan 2025 12:00:30 GMT' })));
    expect(record).toMatchObject({ status: 503, retryAfterMs: 30_000, startedAt: '2025-01-15T12:00:00.000Z', durationMs: 0 });
  });

  it('answers in time when the latency is under the timeout', async () => {
    const record = await caller.call(get(target.urlFor('/', { latencyMs: 50 }), 1000));
    expect(record.status).toBe(200);
    expect(record.durationMs).toBeGreaterThanOrEqual(40);
  });

  it.each<{ name: string; params: Record<string, number> }>([
    { name: 'latency over the timeout', params: { latencyMs: 1000 } },
    { name: 'a target that never answers', params: { hang: 1 } },
  ])('times out on $name, after timeoutMs', async ({ params }) => {
    const record = await caller.call(get(target.urlFor('/', params), 150));
    expect(record.error).toEqual({ code: 'timeout', message: expect.stringMatching(/^no response headers from 127\.0\.0\.1:\d+ within 150 ms$/) });
    expect(record.status).toBeUndefined();
    expect(record.durationMs).toBeGreaterThanOrEqual(140);
    expect(record.durationMs).toBeLessThan(1000);
  });

  it('keeps the status and headers when the body times out', async () => {
    const record = await caller.call(get(target.urlFor('/', { bodyBytes: 10, bodyDelayMs: 1000 }), 150));
    expect(record).toMatchObject({ status: 200, error: { code: 'timeout' } });
    expect(record.error?.message).toContain('response body');
  });

  it('reports a reset connection', async () => {
    const record = await caller.call(get(target.urlFor('/', { reset: 1 })));
    expect(record.error?.code).toBe('connection_reset');
    expect(record.status).toBeUndefined();
  });

  it('reports a refused connection', async () => {
    const port = await freePort();
    const record = await caller.call(get(`http://127.0.0.1:${port}/`));
    expect(record.error).toEqual({ code: 'connection_refused', message: `127.0.0.1:${port} refused the connection` });
  });

  it('truncates a body over the cap, keeping the status and no error', async () => {
    const record = await caller.call(get(target.urlFor('/', { bodyBytes: 5000 })));
    expect(record).toMatchObject({ status: 200, bodyTruncated: true });
    expect(record.error).toBeUndefined();
    expect(decode(record.bodyBase64)).toBe('x'.repeat(1024));
  });

  it('does not truncate a body of exactly the cap', async () => {
    const record = await caller.call(get(target.urlFor('/', { bodyBytes: 1024 })));
    expect(record.bodyTruncated).toBeUndefined();
    expect(decode(record.bodyBase64)).toHaveLength(1024);
  });

  it('records no body for an empty response', async () => {
    const record = await caller.call(get(target.urlFor('/', { status: 204 })));
    expect(record.status).toBe(204);
    expect(record.bodyBase64).toBeUndefined();
  });

  it('sends the request body and headers intact, keeping a User-Agent the request sets', async () => {
    const body = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    const request: HttpRequest = {
      method: 'PUT',
      url: target.urlFor('/upload', { key: 'body' }),
      headers: { 'Content-Type': 'application/octet-stream', 'X-Trace': 'abc', 'User-Agent': 'mine/1' },
      body,
      timeoutMs: 2000,
    };
    expect((await caller.call(request)).status).toBe(200);
    const [seen] = target.callsFor('body');
    expect(seen).toMatchObject({ method: 'PUT', bodyBytes: 300 });
    expect(seen?.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'x-trace': 'abc', 'user-agent': 'mine/1', 'content-length': '300' });
  });

  it.each<{ name: string; headers: Record<string, string>; sent: Record<string, string | undefined> }>([
    { name: 'none of its own: traceparent and tracestate are added', headers: {}, sent: { traceparent: TRACE.traceparent, tracestate: TRACE.tracestate } },
    { name: 'its own traceparent (any case): theirs is sent, nothing of Parc', headers: { TraceParent: OWN_TRACEPARENT }, sent: { traceparent: OWN_TRACEPARENT, tracestate: undefined } },
    { name: 'its own tracestate only: Parc’s traceparent with their tracestate', headers: { tracestate: 'mine=1' }, sent: { traceparent: TRACE.traceparent, tracestate: 'mine=1' } },
  ])('sends the trace context to a request with $name', async ({ headers, sent }) => {
    expect((await caller.call({ ...get(target.urlFor('/', { key: 'traced' })), headers, trace: TRACE })).status).toBe(200);
    const [seen] = target.callsFor('traced');
    expect({ traceparent: seen?.headers['traceparent'], tracestate: seen?.headers['tracestate'] }).toEqual(sent);
    expect(seen?.headers['user-agent']).toBe(DEFAULT_USER_AGENT);
  });

  it('sends no trace headers without a trace context', async () => {
    expect((await caller.call(get(target.urlFor('/', { key: 'untraced' })))).status).toBe(200);
    const [seen] = target.callsFor('untraced');
    expect(seen?.headers).not.toHaveProperty('traceparent');
    expect(seen?.headers).not.toHaveProperty('tracestate');
  });

  it('lets the caller cancel: the call rejects with the signal reason and records nothing', async () => {
    const controller = new AbortController();
    const pending = caller.call(get(target.urlFor('/', { hang: 1 }), 5000), controller.signal);
    setTimeout(() => controller.abort(new Error('draining')), 50);
    await expect(pending).rejects.toThrow('draining');
    expect(caller.inFlight).toBe(0);
  });

  it('gives up a call still queued for its host when `unsent` aborts, and lets the call already sent finish', async () => {
    const one = newCaller({ maxConcurrentPerHost: 1 });
    const closing = new AbortController();
    const sent = one.call(get(target.urlFor('/', { key: 'sent', latencyMs: 300 })), undefined, { unsent: closing.signal });
    const queued = one.call(get(target.urlFor('/', { key: 'queued' })), undefined, { unsent: closing.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    closing.abort(new Error('closing'));
    await expect(queued).rejects.toThrow('closing');
    expect((await sent).status).toBe(200);
    expect(target.calls.map((call) => call.key)).toEqual(['sent']);
  });

  it('refuses URLs it cannot send as invalid_request', async () => {
    const records = await Promise.all(
      ['not a url', 'ftp://127.0.0.1/x', 'http://user:pw@127.0.0.1/'].map((url) => caller.call(get(url))),
    );
    expect(records.map((record) => record.error?.code)).toEqual(['invalid_request', 'invalid_request', 'invalid_request']);
    expect(target.calls).toHaveLength(0);
  });

  it.each(HTTP_METHODS.map((method) => ({ method })))('performs $method', async ({ method }) => {
    const record = await caller.call({ ...get(target.urlFor('/', { key: method })), method });
    expect(record.status).toBe(200);
    expect(target.callsFor(method).map((call) => call.method)).toEqual([method]);
  });

  it.each([
    { method: 'TRACE', message: 'the method "TRACE" is not one Parc performs (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)' },
    { method: 'CONNECT', message: 'the method "CONNECT" is not one Parc performs (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)' },
    { method: 'PROPFIND', message: 'the method "PROPFIND" is not one Parc performs (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)' },
    { method: 'post', message: 'the method "post" is not one Parc performs (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)' },
  ])('refuses $method (from an envelope accepted before intake refused it) as invalid_request, sending nothing', async ({ method, message }) => {
    const record = await caller.call({ ...get(target.urlFor('/')), method });
    expect(record.error).toEqual({ code: 'invalid_request', message });
    expect(target.calls).toHaveLength(0);
  });

  it('refuses headers undici will not send as invalid_request', async () => {
    const record = await caller.call({ ...get(target.urlFor('/')), headers: { 'x-bad': 'a\r\nInjected: yes' } });
    expect(record.error?.code).toBe('invalid_request');
    expect(target.calls).toHaveLength(0);
  });

  it('throws for programmer errors: a bad timeout, a call after close()', async () => {
    await expect(caller.call(get(target.urlFor('/'), 0))).rejects.toThrow(RangeError);
    await caller.close();
    await caller.close(); // idempotent
    await expect(caller.call(get(target.urlFor('/')))).rejects.toThrow('after close()');
  });

  it('checks its options up front', () => {
    expect(() => new HttpCaller({ policy: LOOPBACK, maxResponseBodyBytes: 1, maxConcurrentPerHost: 0 })).toThrow(
      'HttpCaller option maxConcurrentPerHost must be an integer from 1 to 2147483647, got 0',
    );
    expect(() => new HttpCaller({ policy: LOOPBACK, maxResponseBodyBytes: -1 })).toThrow('maxResponseBodyBytes');
  });
});

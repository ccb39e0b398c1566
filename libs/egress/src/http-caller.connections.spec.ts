import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpCaller, MAX_RESPONSE_HEADER_BYTES, type HttpCallerOptions, type HttpRequest } from './http-caller';
import { DROPPED_HEADERS_HEADER } from './headers';
import { EgressPolicy } from './policy';
import { startPlainServer, type PlainServer, type Respond } from './servers.fixture';

const LOOPBACK = EgressPolicy.fromAllowList(['127.0.0.1']);
const get = (url: string, timeoutMs = 2000): HttpRequest => ({ method: 'GET', url, headers: {}, timeoutMs });
const delayed = (ms: number): Respond => async (_request, res) => {
  await sleep(ms, undefined, { ref: false }); // a cut connection must not keep the test process alive
  res.writeHead(200).end('done');
};

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('HttpCaller connections, concurrency and responses (plain node:http servers)', () => {
  const servers: PlainServer[] = [];
  const callers: HttpCaller[] = [];
  const server = async (respond?: Respond): Promise<PlainServer> => {
    const started = await startPlainServer(respond);
    servers.push(started);
    return started;
  };
  const newCaller = (options: Partial<HttpCallerOptions> = {}): HttpCaller => {
    const created = new HttpCaller({ policy: LOOPBACK, maxResponseBodyBytes: 1024, ...options });
    callers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(callers.splice(0).map((caller) => caller.close()));
    await Promise.all(servers.splice(0).map((started) => started.close()));
  });

  it('reuses one keep-alive connection for sequential calls', async () => {
    const target = await server();
    const caller = newCaller();
    for (let i = 0; i < 20; i++) expect((await caller.call(get(`${target.url}/${i}`))).status).toBe(200);
    expect(target.requests).toHaveLength(20);
    expect(target.connections).toBe(1);
  });

  it('holds concurrency per host at the cap; the rest wait in FIFO order', async () => {
    const target = await server(delayed(100));
    const caller = newCaller({ maxConcurrentPerHost: 3 });
    const calls = Array.from({ length: 10 }, (_, i) => caller.call(get(`${target.url}/${i}`)));
    await until(() => target.requests.length === 3);
    expect([caller.inFlight, caller.waiting]).toEqual([3, 7]);
    const records = await Promise.all(calls);
    expect(records.map((record) => record.status)).toEqual(new Array(10).fill(200));
    expect(target.maxConcurrent).toBe(3);
    expect(target.connections).toBe(3);
    expect(target.requests.slice(3).map((request) => request.url)).toEqual(['/3', '/4', '/5', '/6', '/7', '/8', '/9']);
    expect([caller.inFlight, caller.waiting]).toEqual([0, 0]);
  });

  it('does not count time queued for the host against the request timeout', async () => {
    const target = await server(delayed(150));
    const caller = newCaller({ maxConcurrentPerHost: 1 });
    const first = caller.call(get(`${target.url}/a`, 1000));
    const second = await caller.call(get(`${target.url}/b`, 250)); // waits ~150 ms, then needs ~150 ms
    expect(second.status).toBe(200);
    expect((await first).status).toBe(200);
  });

  it('lets a queued call be cancelled without taking a slot', async () => {
    const target = await server(delayed(100));
    const caller = newCaller({ maxConcurrentPerHost: 1 });
    const first = caller.call(get(`${target.url}/a`));
    const controller = new AbortController();
    const queued = caller.call(get(`${target.url}/b`), controller.signal);
    await until(() => caller.waiting === 1);
    controller.abort(new Error('not needed'));
    await expect(queued).rejects.toThrow('not needed');
    expect(caller.waiting).toBe(0);
    expect((await first).status).toBe(200);
    expect(target.requests.map((request) => request.url)).toEqual(['/a']);
  });

  it('cancels every call sharing one signal, in flight or queued, through a single listener', async () => {
    const target = await server(delayed(5000));
    const caller = newCaller({ maxConcurrentPerHost: 2 });
    const controller = new AbortController();
    const calls = Array.from({ length: 12 }, (_, i) => caller.call(get(`${target.url}/${i}`, 10_000), controller.signal));
    await until(() => target.requests.length === 2);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1); // Node warns past 10
    controller.abort(new Error('shutdown'));
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect([caller.inFlight, caller.waiting]).toEqual([0, 0]);
  });

  it('does not follow redirects: a 302 is the final response', async () => {
    const target = await server((request, res) => {
      if (request.url === '/start') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200).end('followed');
    });
    const record = await newCaller().call(get(`${target.url}/start`));
    expect(record).toMatchObject({ status: 302, headers: { location: '/elsewhere' } });
    expect(target.requests.map((request) => request.url)).toEqual(['/start']);
  });

  it('records repeated headers as arrays and bounds the recorded header bytes', async () => {
    const target = await server((_request, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-large', 'z'.repeat(300));
      res.writeHead(200).end();
    });
    const full = await newCaller().call(get(target.url));
    expect(full.headers?.['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(full.headers?.[DROPPED_HEADERS_HEADER]).toBeUndefined();

    const bounded = await newCaller({ maxRecordedHeaderBytes: 200 }).call(get(target.url));
    expect(bounded.headers?.['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(bounded.headers?.['x-large']).toBeUndefined();
    expect(bounded.headers?.[DROPPED_HEADERS_HEADER]).toBe('1');
  });

  it('fails with response_too_large when the response headers exceed what it reads', async () => {
    const target = await server((_request, res) => {
      res.setHeader('x-huge', 'h'.repeat(MAX_RESPONSE_HEADER_BYTES));
      res.writeHead(200).end();
    });
    const record = await newCaller().call(get(target.url));
    expect(record.error?.code).toBe('response_too_large');
  });

  it('keeps the host name in the Host header of a hostname URL', async () => {
    const target = await server();
    const caller = newCaller({ lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
    await caller.call(get(`http://svc.test:${target.port}/`));
    expect(target.requests[0]?.headers.host).toBe(`svc.test:${target.port}`);
  });

  it('closes an idle origin pool and its connections', async () => {
    const target = await server();
    const caller = newCaller({ poolIdleTimeoutMs: 50, keepAliveTimeoutMs: 60_000 });
    await caller.call(get(target.url));
    expect([caller.openPools, target.openConnections]).toEqual([1, 1]);
    await until(() => caller.openPools === 0 && target.openConnections === 0);
    expect((await caller.call(get(target.url))).status).toBe(200); // a new pool on demand
    expect(target.connections).toBe(2);
  });

  it('close() waits for calls in flight and queued, then closes the pools', async () => {
    const target = await server(delayed(100));
    const caller = newCaller({ maxConcurrentPerHost: 1 });
    const calls = [caller.call(get(`${target.url}/a`)), caller.call(get(`${target.url}/b`))];
    await until(() => target.requests.length === 1);
    await caller.close();
    expect((await Promise.all(calls)).map((record) => record.status)).toEqual([200, 200]);
    expect(caller.openPools).toBe(0);
    await until(() => target.openConnections === 0);
  });
});

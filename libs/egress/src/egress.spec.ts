import type { LookupFunction } from './connector';
import { HttpCaller, type HttpRequest } from './http-caller';
import { EgressPolicy } from './policy';
import { startPlainServer, type PlainServer } from './servers.fixture';

const get = (url: string): HttpRequest => ({ method: 'GET', url, headers: {}, timeoutMs: 2000 });

/** A resolver stub that answers every name with `addresses` and counts its calls. */
function fakeLookup(...addresses: string[]): LookupFunction & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

describe('HttpCaller enforces the egress policy on the address it connects to', () => {
  let server: PlainServer;
  const callers: HttpCaller[] = [];
  const newCaller = (allowList: string[], lookup?: LookupFunction): HttpCaller => {
    const caller = new HttpCaller({ policy: EgressPolicy.fromAllowList(allowList), maxResponseBodyBytes: 1024, ...(lookup ? { lookup } : {}) });
    callers.push(caller);
    return caller;
  };

  beforeEach(async () => {
    server = await startPlainServer();
  });
  afterEach(async () => {
    await Promise.all(callers.splice(0).map((caller) => caller.close()));
    await server.close();
  });

  it.each([
    { name: 'dotted quad', url: (port: number) => `http://127.0.0.1:${port}/`, blocked: '127.0.0.1' },
    { name: 'decimal integer', url: (port: number) => `http://2130706433:${port}/`, blocked: '127.0.0.1' },
    { name: 'hex shorthand', url: (port: number) => `http://0x7f.1:${port}/`, blocked: '127.0.0.1' },
    { name: 'octal', url: (port: number) => `http://0177.0.0.1:${port}/`, blocked: '127.0.0.1' },
    { name: 'IPv4-mapped IPv6', url: (port: number) => `http://[::ffff:7f00:1]:${port}/`, blocked: '::ffff:7f00:1 embeds 127.0.0.1' },
    { name: 'IPv6 loopback', url: (port: number) => `http://[::1]:${port}/`, blocked: '::1 is loopback' },
  ])('refuses an IP-literal loopback URL ($name) without connecting', async ({ url, blocked }) => {
    const record = await newCaller([]).call(get(url(server.port)));
    expect(record.error).toEqual({ code: 'destination_blocked', message: expect.stringContaining(blocked) });
    expect(record.status).toBeUndefined();
    expect(server.connections).toBe(0);
  });

  it('allows an allow-listed IP literal', async () => {
    expect((await newCaller(['127.0.0.1']).call(get(server.url))).status).toBe(200);
  });

  it('refuses a host name that resolves to loopback, without connecting', async () => {
    const lookup = fakeLookup('127.0.0.1');
    const record = await newCaller([], lookup).call(get(`http://internal.test:${server.port}/`));
    expect(record.error).toEqual({
      code: 'destination_blocked',
      message: 'internal.test resolves to a blocked address: 127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed',
    });
    expect(lookup.calls).toEqual(['internal.test']);
    expect(server.connections).toBe(0);
  });

  it('refuses a host name if any of its addresses is blocked, even when a public one comes first', async () => {
    const record = await newCaller([], fakeLookup('93.184.215.14', '127.0.0.1')).call(get(`http://mixed.test:${server.port}/`));
    expect(record.error).toMatchObject({ code: 'destination_blocked', message: expect.stringContaining('127.0.0.1 is loopback') });
    expect(server.connections).toBe(0);
  });

  it('connects to the checked address when the name is allowed, resolving once per connection', async () => {
    const lookup = fakeLookup('127.0.0.1');
    const caller = newCaller(['127.0.0.1'], lookup);
    for (let i = 0; i < 3; i++) expect((await caller.call(get(`http://svc.test:${server.port}/${i}`))).status).toBe(200);
    expect(lookup.calls).toEqual(['svc.test']); // one connection, kept alive
    expect(server.connections).toBe(1);
  });

  it.each([
    { name: 'a resolver error', lookup: (async () => Promise.reject(Object.assign(new Error('no such host'), { code: 'ENOTFOUND' }))) as LookupFunction, detail: 'ENOTFOUND' },
    { name: 'an empty answer', lookup: fakeLookup(), detail: 'no addresses' },
  ])('reports $name as dns_failure', async ({ lookup, detail }) => {
    const record = await newCaller(['127.0.0.1'], lookup).call(get(`http://gone.test:${server.port}/`));
    expect(record.error).toEqual({ code: 'dns_failure', message: `DNS lookup of gone.test failed (${detail})` });
  });

  it('checks the connected peer too: an allowed address that lands on loopback is cut before any request', async () => {
    // Linux routes 0.0.0.0 to the local host. With 0.0.0.0 allow-listed (and 127.0.0.1 not), the
    // pre-connect check passes, the socket's peer is 127.0.0.1, and only the post-connect check
    // sees it: the same situation as a resolver that lies or an address rebound after the check.
    const record = await newCaller(['0.0.0.0'], fakeLookup('0.0.0.0')).call(get(`http://rebind.test:${server.port}/`));
    expect(record.error).toEqual({
      code: 'destination_blocked',
      message: 'the connection to rebind.test reached a blocked address: 127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('checks the connected peer of IP-literal URLs as well', async () => {
    const record = await newCaller(['0.0.0.0']).call(get(`http://0.0.0.0:${server.port}/`));
    expect(record.error).toMatchObject({ code: 'destination_blocked', message: expect.stringContaining('reached a blocked address: 127.0.0.1') });
    expect(server.requests).toHaveLength(0);
  });
});

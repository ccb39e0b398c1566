import { classifyOutcome, DEFAULT_RETRY_POLICY } from '@parc/backoff';
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

/**
 * A loopback server per test and the callers made in it, closed after it. `newCaller` builds an
 * HttpCaller with this allow list (and resolver, when given).
 */
function callerSetup(): { server: () => PlainServer; newCaller: (allowList: string[], lookup?: LookupFunction) => HttpCaller } {
  let server: PlainServer;
  const callers: HttpCaller[] = [];
  beforeEach(async () => {
    server = await startPlainServer();
  });
  afterEach(async () => {
    await Promise.all(callers.splice(0).map((caller) => caller.close()));
    await server.close();
  });
  return {
    server: () => server,
    newCaller: (allowList, lookup) => {
      const caller = new HttpCaller({ policy: EgressPolicy.fromAllowList(allowList), maxResponseBodyBytes: 1024, ...(lookup ? { lookup } : {}) });
      callers.push(caller);
      return caller;
    },
  };
}

describe('HttpCaller enforces the egress policy on the address it connects to', () => {
  const { server: currentServer, newCaller } = callerSetup();

  it.each([
    { name: 'dotted quad', url: (port: number) => `http://127.0.0.1:${port}/`, blocked: '127.0.0.1' },
    { name: 'decimal integer', url: (port: number) => `http://2130706433:${port}/`, blocked: '127.0.0.1' },
    { name: 'hex shorthand', url: (port: number) => `http://0x7f.1:${port}/`, blocked: '127.0.0.1' },
    { name: 'octal', url: (port: number) => `http://0177.0.0.1:${port}/`, blocked: '127.0.0.1' },
    { name: 'IPv4-mapped IPv6', url: (port: number) => `http://[::ffff:7f00:1]:${port}/`, blocked: '::ffff:7f00:1 embeds 127.0.0.1' },
    { name: 'IPv6 loopback', url: (port: number) => `http://[::1]:${port}/`, blocked: '::1 is loopback' },
  ])('refuses an IP-literal loopback URL ($name) without connecting', async ({ url, blocked }) => {
    const record = await newCaller([]).call(get(url(currentServer().port)));
    expect(record.error).toEqual({ code: 'destination_blocked', message: expect.stringContaining(blocked) });
    expect(record.status).toBeUndefined();
    expect(currentServer().connections).toBe(0);
  });

  it('allows an allow-listed IP literal', async () => {
    expect((await newCaller(['127.0.0.1']).call(get(currentServer().url))).status).toBe(200);
  });

  it('refuses a host name that resolves to loopback, without connecting', async () => {
    const lookup = fakeLookup('127.0.0.1');
    const record = await newCaller([], lookup).call(get(`http://internal.test:${currentServer().port}/`));
    expect(record.error).toEqual({
      code: 'destination_blocked',
      message: 'internal.test resolves to a blocked address: 127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed',
    });
    expect(lookup.calls).toEqual(['internal.test']);
    expect(currentServer().connections).toBe(0);
  });

  it('refuses a host name if any of its addresses is blocked, even when a public one comes first', async () => {
    const record = await newCaller([], fakeLookup('93.184.215.14', '127.0.0.1')).call(get(`http://mixed.test:${currentServer().port}/`));
    expect(record.error).toMatchObject({ code: 'destination_blocked', message: expect.stringContaining('127.0.0.1 is loopback') });
    expect(currentServer().connections).toBe(0);
  });

  it('connects to the checked address when the name is allowed, resolving once per connection', async () => {
    const lookup = fakeLookup('127.0.0.1');
    const caller = newCaller(['127.0.0.1'], lookup);
    for (let i = 0; i < 3; i++) expect((await caller.call(get(`http://svc.test:${currentServer().port}/${i}`))).status).toBe(200);
    expect(lookup.calls).toEqual(['svc.test']); // one connection, kept alive
    expect(currentServer().connections).toBe(1);
  });

  it.each([
    { name: 'a resolver error', lookup: (async () => Promise.reject(Object.assign(new Error('no such host'), { code: 'ENOTFOUND' }))) as LookupFunction, detail: 'ENOTFOUND' },
    { name: 'an empty answer', lookup: fakeLookup(), detail: 'no addresses' },
  ])('reports $name as dns_failure', async ({ lookup, detail }) => {
    const record = await newCaller(['127.0.0.1'], lookup).call(get(`http://gone.test:${currentServer().port}/`));
    expect(record.error).toEqual({ code: 'dns_failure', message: `DNS lookup of gone.test failed (${detail})` });
  });

  it('checks the connected peer too: an allowed address that lands on loopback is cut before any request', async () => {
    // Linux routes 0.0.0.0 to the local host. With 0.0.0.0 allow-listed (and 127.0.0.1 not), the
    // pre-connect check passes, the socket's peer is 127.0.0.1, and only the post-connect check
    // sees it: the same situation as a resolver that lies or an address rebound after the check.
    const record = await newCaller(['0.0.0.0'], fakeLookup('0.0.0.0')).call(get(`http://rebind.test:${currentServer().port}/`));
    expect(record.error).toEqual({
      code: 'destination_blocked',
      message: 'the connection to rebind.test reached a blocked address: 127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed',
    });
    expect(currentServer().requests).toHaveLength(0);
  });

  it('checks the connected peer of IP-literal URLs as well', async () => {
    const record = await newCaller(['0.0.0.0']).call(get(`http://0.0.0.0:${currentServer().port}/`));
    expect(record.error).toMatchObject({ code: 'destination_blocked', message: expect.stringContaining('reached a blocked address: 127.0.0.1') });
    expect(currentServer().requests).toHaveLength(0);
  });
});

/**
 * A resolver answering like glibc on Debian: `localhost` and the IPv6 aliases from /etc/hosts,
 * ENOTFOUND for every other name (as for `localhost.` and `foo.localhost` on a machine whose
 * /etc/hosts has no such line). It records the names it was asked.
 */
function debianResolver(): LookupFunction & { calls: string[] } {
  const hosts: Readonly<Record<string, readonly string[]>> = { localhost: ['127.0.0.1', '::1'], 'ip6-localhost': ['::1'], 'ip6-loopback': ['::1'] };
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    const addresses = hosts[hostname];
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

const BY_NAME = (host: string): string =>
  `${host} is loopback by name (RFC 6761): 127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed; ::1 is loopback (::1/128) and not allow-listed`;

describe('HttpCaller refuses the local host in every spelling, as a final destination_blocked', () => {
  const { server: currentServer, newCaller } = callerSetup();

  it.each([
    { host: 'localhost', message: BY_NAME('localhost'), lookups: [] },
    { host: 'LOCALHOST', message: BY_NAME('localhost'), lookups: [] },
    { host: 'localhost.', message: BY_NAME('localhost.'), lookups: [] },
    { host: 'LocalHost.', message: BY_NAME('localhost.'), lookups: [] },
    { host: 'foo.localhost', message: BY_NAME('foo.localhost'), lookups: [] },
    { host: 'foo.localhost.', message: BY_NAME('foo.localhost.'), lookups: [] },
    { host: '127.0.0.1.', message: '127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed', lookups: [] },
    { host: '0x7f.1', message: '127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed', lookups: [] },
    { host: '2130706433', message: '127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed', lookups: [] },
    { host: '127.1', message: '127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed', lookups: [] },
    { host: '0177.0.0.1', message: '127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed', lookups: [] },
    { host: '[::1]', message: '::1 is loopback (::1/128) and not allow-listed', lookups: [] },
    { host: '[0:0:0:0:0:0:0:1]', message: '::1 is loopback (::1/128) and not allow-listed', lookups: [] },
    {
      host: '[::ffff:127.0.0.1]',
      message: '::ffff:7f00:1 embeds 127.0.0.1 (IPv4-mapped, ::ffff:0:0/96), which is loopback (127.0.0.0/8), and not allow-listed',
      lookups: [],
    },
    { host: '0.0.0.0', message: '0.0.0.0 is unspecified, "this network" (0.0.0.0/8) and not allow-listed', lookups: [] },
    { host: '[::]', message: ':: is unspecified (::/128) and not allow-listed', lookups: [] },
    { host: 'ip6-localhost', message: 'ip6-localhost resolves to a blocked address: ::1 is loopback (::1/128) and not allow-listed', lookups: ['ip6-localhost'] },
  ])('$host: refused at the first attempt, with no connection', async ({ host, message, lookups }) => {
    const lookup = debianResolver();
    const record = await newCaller([], lookup).call(get(`http://${host}:${currentServer().port}/`));
    expect(record.error).toEqual({ code: 'destination_blocked', message });
    expect(classifyOutcome({ errorCode: record.error?.code }, DEFAULT_RETRY_POLICY)).toBe('final');
    expect(lookup.calls).toEqual(lookups);
    expect(currentServer().connections).toBe(0);
  });

  it('refuses localhost. when only other loopback ports are allow-listed (the trial: it used to end retries_exhausted)', async () => {
    const lookup = debianResolver();
    const record = await newCaller([`127.0.0.1:${currentServer().port + 1}`], lookup).call(get(`http://localhost.:${currentServer().port}/`));
    expect(record.error).toEqual({
      code: 'destination_blocked',
      message: `localhost. is loopback by name (RFC 6761): 127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed for port ${currentServer().port}; ::1 is loopback (::1/128) and not allow-listed`,
    });
    expect(lookup.calls).toEqual([]);
    expect(currentServer().connections).toBe(0);
  });

  it.each([
    { host: 'localhost..', message: 'the URL host "localhost.." has an empty label' },
    { host: 'foo..localhost', message: 'the URL host "foo..localhost" has an empty label' },
    { host: '127.0.0.1..', message: 'the URL host "127.0.0.1.." has an empty label' },
  ])('$host: invalid_request (final), never looked up nor connected', async ({ host, message }) => {
    const lookup = debianResolver();
    const record = await newCaller([], lookup).call(get(`http://${host}:${currentServer().port}/`));
    expect(record.error).toEqual({ code: 'invalid_request', message });
    expect(classifyOutcome({ errorCode: record.error?.code }, DEFAULT_RETRY_POLICY)).toBe('final');
    expect(lookup.calls).toEqual([]);
    expect(currentServer().connections).toBe(0);
  });

  it.each([
    { host: 'localhost', sentHost: 'localhost' },
    { host: 'localhost.', sentHost: 'localhost.' },
    { host: 'LOCALHOST.', sentHost: 'localhost.' },
    { host: 'foo.localhost.', sentHost: 'foo.localhost.' },
  ])('$host reaches 127.0.0.1 when 127.0.0.1:port is allow-listed, without DNS', async ({ host, sentHost }) => {
    const lookup = debianResolver();
    const record = await newCaller([`127.0.0.1:${currentServer().port}`], lookup).call(get(`http://${host}:${currentServer().port}/`));
    expect(record.status).toBe(200);
    expect(lookup.calls).toEqual([]);
    expect(currentServer().requests.map((request) => request.headers.host)).toEqual([`${sentHost}:${currentServer().port}`]);
  });

  it('reaches ::1 for a localhost name when only ::1 is allow-listed', async () => {
    const server6 = await startPlainServer(undefined, undefined, '::1');
    try {
      const record = await newCaller([`[::1]:${server6.port}`], debianResolver()).call(get(`http://localhost.:${server6.port}/`));
      expect(record.status).toBe(200);
      expect(server6.requests).toHaveLength(1);
    } finally {
      await server6.close();
    }
  });
});

import { EgressPolicy } from './policy';

const closed = EgressPolicy.fromAllowList([]);

/** A URL's host as the caller sees it: WHATWG-parsed, brackets and all. */
const hostOf = (url: string): string => new URL(url).hostname;

describe('EgressPolicy.check: blocked IPv4 ranges (every range, first and last address)', () => {
  it.each([
    { name: 'this network, first', address: '0.0.0.0', range: '0.0.0.0/8' },
    { name: 'this network, last', address: '0.255.255.255', range: '0.0.0.0/8' },
    { name: 'private 10/8', address: '10.0.0.1', range: '10.0.0.0/8' },
    { name: 'private 10/8, last', address: '10.255.255.255', range: '10.0.0.0/8' },
    { name: 'CGNAT, first', address: '100.64.0.0', range: '100.64.0.0/10' },
    { name: 'CGNAT, last', address: '100.127.255.255', range: '100.64.0.0/10' },
    { name: 'Alibaba metadata', address: '100.100.100.200', range: '100.100.100.200/32' },
    { name: 'loopback', address: '127.0.0.1', range: '127.0.0.0/8' },
    { name: 'loopback, other', address: '127.255.255.254', range: '127.0.0.0/8' },
    { name: 'Azure WireServer', address: '168.63.129.16', range: '168.63.129.16/32' },
    { name: 'link-local', address: '169.254.1.1', range: '169.254.0.0/16' },
    { name: 'metadata', address: '169.254.169.254', range: '169.254.169.254/32' },
    { name: 'private 172.16/12, first', address: '172.16.0.0', range: '172.16.0.0/12' },
    { name: 'private 172.16/12, last', address: '172.31.255.255', range: '172.16.0.0/12' },
    { name: 'IETF protocol assignments', address: '192.0.0.8', range: '192.0.0.0/24' },
    { name: 'TEST-NET-1', address: '192.0.2.1', range: '192.0.2.0/24' },
    { name: '6to4 relay anycast', address: '192.88.99.1', range: '192.88.99.0/24' },
    { name: 'private 192.168/16', address: '192.168.1.1', range: '192.168.0.0/16' },
    { name: 'benchmarking, first', address: '198.18.0.0', range: '198.18.0.0/15' },
    { name: 'benchmarking, last', address: '198.19.255.255', range: '198.18.0.0/15' },
    { name: 'TEST-NET-2', address: '198.51.100.7', range: '198.51.100.0/24' },
    { name: 'TEST-NET-3', address: '203.0.113.9', range: '203.0.113.0/24' },
    { name: 'multicast, first', address: '224.0.0.1', range: '224.0.0.0/4' },
    { name: 'multicast, last', address: '239.255.255.255', range: '224.0.0.0/4' },
    { name: 'reserved', address: '240.0.0.1', range: '240.0.0.0/4' },
    { name: 'reserved, high', address: '255.255.255.254', range: '240.0.0.0/4' },
    { name: 'limited broadcast', address: '255.255.255.255', range: '255.255.255.255/32' },
  ])('$name: $address is refused, naming $range', ({ address, range }) => {
    const decision = closed.check(address, 80);
    expect(decision.allowed).toBe(false);
    expect(decision).toMatchObject({ reason: expect.stringContaining(`${address} is `) });
    expect(decision).toMatchObject({ reason: expect.stringContaining(`(${range}) and not allow-listed`) });
  });

  it.each([
    { name: 'just below 10/8', address: '9.255.255.255' },
    { name: 'just above 10/8', address: '11.0.0.0' },
    { name: 'just below CGNAT', address: '100.63.255.255' },
    { name: 'just above CGNAT', address: '100.128.0.0' },
    { name: 'just below 172.16/12', address: '172.15.255.255' },
    { name: 'just above 172.16/12', address: '172.32.0.0' },
    { name: 'next to TEST-NET-1', address: '192.0.3.0' },
    { name: 'just above benchmarking', address: '198.20.0.0' },
    { name: 'public DNS', address: '8.8.8.8' },
    { name: 'public, next to the WireServer', address: '168.63.129.17' },
    { name: 'last public before multicast', address: '223.255.255.255' },
  ])('$name: $address is allowed', ({ address }) => {
    expect(closed.check(address, 443)).toEqual({ allowed: true });
  });

  it('names the exact reason, as the stages log it', () => {
    expect(closed.check('127.0.0.1', 80)).toEqual({
      allowed: false,
      reason: '127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed',
    });
    expect(closed.check('169.254.169.254', 80)).toEqual({
      allowed: false,
      reason: '169.254.169.254 is a cloud metadata endpoint (169.254.169.254/32) and not allow-listed',
    });
  });
});

describe('EgressPolicy.check: IPv6 ranges', () => {
  it.each([
    { name: 'unspecified', address: '::', range: '::/128' },
    { name: 'loopback', address: '::1', range: '::1/128' },
    { name: 'loopback, long form', address: '0:0:0:0:0:0:0:1', range: '::1/128' },
    { name: 'local-use NAT64', address: '64:ff9b:1::808:808', range: '64:ff9b:1::/48' },
    { name: 'discard-only', address: '100::1', range: '100::/64' },
    { name: 'benchmarking', address: '2001:2::1', range: '2001:2::/48' },
    { name: 'ORCHID', address: '2001:10::1', range: '2001:10::/28' },
    { name: 'ORCHIDv2', address: '2001:20::1', range: '2001:20::/28' },
    { name: 'documentation', address: '2001:db8::1', range: '2001:db8::/32' },
    { name: 'documentation (3fff::/20)', address: '3fff:fff::1', range: '3fff::/20' },
    { name: 'unique local fc00', address: 'fc00::1', range: 'fc00::/7' },
    { name: 'unique local fd', address: 'fdff:ffff::1', range: 'fc00::/7' },
    { name: 'AWS metadata', address: 'fd00:ec2::254', range: 'fd00:ec2::254/128' },
    { name: 'link-local', address: 'fe80::1', range: 'fe80::/10' },
    { name: 'link-local, top', address: 'febf:ffff::1', range: 'fe80::/10' },
    { name: 'site-local', address: 'fec0::1', range: 'fec0::/10' },
    { name: 'multicast', address: 'ff02::1', range: 'ff00::/8' },
    { name: 'outside global unicast (low)', address: '1::', range: '2000::/3' },
    { name: 'outside global unicast (high)', address: '4000::1', range: '2000::/3' },
    { name: 'IPv4-compatible with a public IPv4 (deprecated form)', address: '::8.8.8.8', range: '2000::/3' },
    { name: 'IPv4-translated with a public IPv4', address: '::ffff:0:8.8.8.8', range: '2000::/3' },
  ])('$name: $address is refused, naming $range', ({ address, range }) => {
    expect(closed.check(address, 443)).toMatchObject({ allowed: false, reason: expect.stringContaining(`(${range})`) });
  });

  it.each([
    { name: 'global unicast', address: '2606:4700:4700::1111' },
    { name: 'uppercase hex', address: '2A00:1450:4001:82A::200E' },
    { name: 'top of global unicast', address: '3fff:1000::1' },
    { name: 'NAT64 of a public IPv4', address: '64:ff9b::8.8.8.8' },
    { name: 'IPv4-mapped public IPv4', address: '::ffff:8.8.8.8' },
    { name: '6to4 of a public IPv4', address: '2002:808:808::1' },
    { name: 'Teredo with public server and client', address: '2001:0:4136:e378:8000:63bf:f7f7:f7f7' },
  ])('$name: $address is allowed', ({ address }) => {
    expect(closed.check(address, 443)).toEqual({ allowed: true });
  });
});

describe('EgressPolicy.check: IPv4 embedded in IPv6 is checked as the IPv4 it reaches', () => {
  it.each([
    { name: 'IPv4-mapped, dotted', address: '::ffff:127.0.0.1', ipv4: '127.0.0.1', form: 'IPv4-mapped' },
    { name: 'IPv4-mapped, hex', address: '::ffff:7f00:1', ipv4: '127.0.0.1', form: 'IPv4-mapped' },
    { name: 'IPv4-mapped, long form', address: '0:0:0:0:0:ffff:a9fe:a9fe', ipv4: '169.254.169.254', form: 'IPv4-mapped' },
    { name: 'IPv4-compatible', address: '::127.0.0.1', ipv4: '127.0.0.1', form: 'IPv4-compatible' },
    { name: 'IPv4-compatible, hex', address: '::a00:1', ipv4: '10.0.0.1', form: 'IPv4-compatible' },
    { name: 'IPv4-translated', address: '::ffff:0:192.168.0.1', ipv4: '192.168.0.1', form: 'IPv4-translated' },
    { name: 'NAT64 well-known prefix', address: '64:ff9b::127.0.0.1', ipv4: '127.0.0.1', form: 'NAT64' },
    { name: 'NAT64, hex', address: '64:ff9b::a9fe:a9fe', ipv4: '169.254.169.254', form: 'NAT64' },
    { name: '6to4 (bits 16–47)', address: '2002:7f00:1::1', ipv4: '127.0.0.1', form: '6to4' },
    { name: '6to4 of a private network', address: '2002:c0a8:101:1::1', ipv4: '192.168.1.1', form: '6to4' },
    { name: 'Teredo, obfuscated client 127.0.0.1', address: '2001:0:4136:e378:8000:63bf:80ff:fffe', ipv4: '127.0.0.1', form: 'Teredo' },
    { name: 'Teredo, private server', address: '2001:0:a00:1:8000:63bf:f7f7:f7f7', ipv4: '10.0.0.1', form: 'Teredo' },
  ])('$name: $address embeds $ipv4', ({ address, ipv4, form }) => {
    const decision = closed.check(address, 80);
    expect(decision).toMatchObject({ allowed: false, reason: expect.stringContaining(`${address} embeds ${ipv4} (${form}, `) });
  });

  it('says which range the embedded address is in', () => {
    expect(closed.check('::ffff:7f00:1', 80)).toEqual({
      allowed: false,
      reason: '::ffff:7f00:1 embeds 127.0.0.1 (IPv4-mapped, ::ffff:0:0/96), which is loopback (127.0.0.0/8), and not allow-listed',
    });
  });

  it('refuses every local-use NAT64 address: the embedding is site-defined, so its IPv4 cannot be read reliably', () => {
    expect(closed.check('64:ff9b:1:ffff::808:808', 80).allowed).toBe(false);
  });
});

describe('EgressPolicy.check: inputs', () => {
  it.each([
    { name: 'bracketed IPv6 (a URL hostname)', address: '[::1]', expected: '::1 is loopback' },
    { name: 'zone id (a socket address)', address: 'fe80::1%eth0', expected: 'fe80::1 is link-local' },
  ])('tolerates $name', ({ address, expected }) => {
    expect(closed.check(address, 80)).toMatchObject({ reason: expect.stringContaining(expected) });
  });

  it.each([
    { name: 'a host name', address: 'localhost' },
    { name: 'an empty string', address: '' },
    { name: 'a shorthand IPv4 (never parsed here: the URL parser normalises first)', address: '127.1' },
    { name: 'an octal IPv4', address: '0177.0.0.1' },
    { name: 'a decimal integer', address: '2130706433' },
  ])('refuses $name as not an IP address', ({ address }) => {
    expect(closed.check(address, 80)).toEqual({ allowed: false, reason: `${JSON.stringify(address)} is not an IP address` });
  });

  it.each([0, -1, 65536, 80.5, NaN])('throws for port %p (a programmer error)', (port) => {
    expect(() => closed.check('8.8.8.8', port)).toThrow(RangeError);
  });
});

describe('EgressPolicy.check: WHATWG URL forms reach the policy already normalised', () => {
  it.each([
    { url: 'http://2130706433/', host: '127.0.0.1' },
    { url: 'http://0x7f.1/', host: '127.0.0.1' },
    { url: 'http://0177.0.0.1/', host: '127.0.0.1' },
    { url: 'http://127.1/', host: '127.0.0.1' },
    { url: 'http://0x7f000001/', host: '127.0.0.1' },
    { url: 'http://0/', host: '0.0.0.0' },
    { url: 'http://169.254.43518/', host: '169.254.169.254' },
    { url: 'http://[::ffff:7f00:1]/', host: '[::ffff:7f00:1]' },
    { url: 'http://[::ffff:127.0.0.1]/', host: '[::ffff:7f00:1]' },
    { url: 'http://[0:0:0:0:0:0:0:1]/', host: '[::1]' },
    { url: 'http://[64:ff9b::127.0.0.1]/', host: '[64:ff9b::7f00:1]' },
  ])('$url → $host → refused', ({ url, host }) => {
    expect(hostOf(url)).toBe(host);
    expect(closed.check(hostOf(url), 80).allowed).toBe(false);
  });
});

describe('EgressPolicy allow-list', () => {
  const policy = EgressPolicy.fromAllowList([
    '127.0.0.1',
    '10.1.2.3:8080',
    '192.168.0.0/16',
    '172.16.0.0/12:443',
    '::1',
    '[fd00::/8]:9000',
    '[fe80::1]:80',
    '::ffff:100.64.0.0/106',
  ]);

  it.each([
    { name: 'an allow-listed IP, any port', address: '127.0.0.1', port: 5, allowed: true },
    { name: 'only that IP, not its neighbour', address: '127.0.0.2', port: 5, allowed: false },
    { name: 'an IPv4-mapped spelling of an allow-listed IPv4', address: '::ffff:127.0.0.1', port: 5, allowed: true },
    { name: 'not NAT64 of an allow-listed IPv4 (a different destination)', address: '64:ff9b::7f00:1', port: 5, allowed: false },
    { name: 'IP:port on its port', address: '10.1.2.3', port: 8080, allowed: true },
    { name: 'IP:port on another port', address: '10.1.2.3', port: 80, allowed: false },
    { name: 'a CIDR member', address: '192.168.200.1', port: 80, allowed: true },
    { name: 'CIDR:port on its port', address: '172.20.0.1', port: 443, allowed: true },
    { name: 'CIDR:port on another port', address: '172.20.0.1', port: 80, allowed: false },
    { name: 'an IPv6 address', address: '::1', port: 1, allowed: true },
    { name: 'an IPv6 CIDR with port', address: 'fd12::1', port: 9000, allowed: true },
    { name: 'an IPv6 CIDR with port, other port', address: 'fd12::1', port: 9001, allowed: false },
    { name: 'the AWS IPv6 metadata address inside an allow-listed range', address: 'fd00:ec2::254', port: 9000, allowed: true },
    { name: 'a bracketed IPv6 with port', address: 'fe80::1', port: 80, allowed: true },
    { name: 'an IPv4-mapped CIDR entry, matched as IPv4', address: '100.64.1.1', port: 80, allowed: true },
    { name: 'metadata stays blocked unless named', address: '169.254.169.254', port: 80, allowed: false },
  ])('$name: $address:$port → $allowed', ({ address, port, allowed }) => {
    expect(policy.check(address, port).allowed).toBe(allowed);
  });

  it('says when the address is allow-listed for other ports only', () => {
    expect(policy.check('10.1.2.3', 80)).toEqual({
      allowed: false,
      reason: '10.1.2.3 is private (10.0.0.0/8) and not allow-listed for port 80',
    });
  });

  it('lists its entries in canonical form', () => {
    expect(policy.allowList).toEqual([
      '127.0.0.1',
      '10.1.2.3:8080',
      '192.168.0.0/16',
      '172.16.0.0/12:443',
      '::1',
      '[fd00::/8]:9000',
      '[fe80::1]:80',
      '100.64.0.0/10',
    ]);
  });

  it('can open everything with 0.0.0.0/0 and ::/0 (a development setup)', () => {
    const open = EgressPolicy.fromAllowList(['0.0.0.0/0', '::/0']);
    expect(['127.0.0.1', '169.254.169.254', '::1', 'fe80::1'].map((address) => open.check(address, 80).allowed)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});

import * as fc from 'fast-check';
import { isIPv4, isIPv6 } from 'node:net';
import { cidr, cidrContains, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip';

describe('parseIPv4', () => {
  it.each([
    { text: '0.0.0.0', value: 0n },
    { text: '127.0.0.1', value: 0x7f000001n },
    { text: '255.255.255.255', value: 0xffffffffn },
  ])('$text → $value', ({ text, value }) => {
    expect(parseIPv4(text)).toBe(value);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '0x7f.0.0.1', '1.2.3.4 ', '127.1', '2130706433'])(
    'refuses %p',
    (text) => {
      expect(parseIPv4(text)).toBeUndefined();
    },
  );
});

describe('parseIPv6', () => {
  it.each([
    { text: '::', value: 0n },
    { text: '::1', value: 1n },
    { text: '1::', value: 1n << 112n },
    { text: '1:2:3:4:5:6:7:8', value: 0x00010002000300040005000600070008n },
    { text: '1::8', value: (1n << 112n) | 8n },
    { text: '1:2:3:4:5:6:7::', value: 0x00010002000300040005000600070000n },
    { text: '::ffff:1.2.3.4', value: 0xffff01020304n },
    { text: '1:2:3:4:5:6:1.2.3.4', value: 0x00010002000300040005000601020304n },
    { text: 'FFFF::', value: 0xffffn << 112n },
  ])('$text', ({ text, value }) => {
    expect(parseIPv6(text)).toBe(value);
  });

  it.each(['', ':', ':::', '1:::2', '::1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', '::1.2.3', '1.2.3.4', '::1%eth0', '[::1]', ':1::', '1:2:3:4:5:6:7:8::'])(
    'refuses %p',
    (text) => {
      expect(parseIPv6(text)).toBeUndefined();
    },
  );

  it('agrees with node:net on what is an address, and round-trips through formatIPv6', () => {
    const address = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    fc.assert(
      fc.property(address, (value) => {
        const text = formatIPv6(value);
        expect(isIPv6(text)).toBe(true);
        expect(parseIPv6(text)).toBe(value);
        // The WHATWG serialisation (what a URL's hostname holds) must parse to the same address.
        expect(parseIPv6(new URL(`http://[${text}]/`).hostname.slice(1, -1))).toBe(value);
      }),
    );
  });

  it('round-trips IPv4 through formatIPv4', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), (value) => {
        const text = formatIPv4(value);
        expect(isIPv4(text)).toBe(true);
        expect(parseIPv4(text)).toBe(value);
      }),
    );
  });
});

describe('cidr', () => {
  it('contains exactly its block', () => {
    const block = cidr('10.0.0.0/8');
    expect(cidrContains(block, { family: 4, value: parseIPv4('10.255.255.255') ?? 0n })).toBe(true);
    expect(cidrContains(block, { family: 4, value: parseIPv4('11.0.0.0') ?? 0n })).toBe(false);
    expect(cidrContains(block, { family: 6, value: parseIPv4('10.0.0.1') ?? 0n })).toBe(false);
  });

  it.each(['10.0.0.1/8', '10.0.0.0', '10.0.0.0/33', 'x/8'])('throws for the table typo %p', (text) => {
    expect(() => cidr(text)).toThrow();
  });
});

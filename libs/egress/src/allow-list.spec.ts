import { AllowListError, parseAllowListEntry } from './allow-list';
import { EgressPolicy } from './policy';

describe('allow-list entries', () => {
  it.each([
    { name: 'IPv4', entry: '10.0.0.1', text: '10.0.0.1', port: undefined },
    { name: 'IPv4:port', entry: '10.0.0.1:8080', text: '10.0.0.1:8080', port: 8080 },
    { name: 'IPv4 CIDR', entry: '10.0.0.0/8', text: '10.0.0.0/8', port: undefined },
    { name: 'IPv4 CIDR:port', entry: '10.0.0.0/8:443', text: '10.0.0.0/8:443', port: 443 },
    { name: 'IPv4 /32 is the address', entry: '10.0.0.1/32', text: '10.0.0.1', port: undefined },
    { name: 'everything IPv4', entry: '0.0.0.0/0', text: '0.0.0.0/0', port: undefined },
    { name: 'IPv6', entry: 'fd00::1', text: 'fd00::1', port: undefined },
    { name: 'IPv6, long form, canonicalised', entry: 'FD00:0:0:0:0:0:0:0001', text: 'fd00::1', port: undefined },
    { name: '[IPv6]', entry: '[::1]', text: '::1', port: undefined },
    { name: '[IPv6]:port', entry: '[::1]:8080', text: '[::1]:8080', port: 8080 },
    { name: 'IPv6 CIDR', entry: 'fd00::/8', text: 'fd00::/8', port: undefined },
    { name: '[IPv6 CIDR]:port', entry: '[fd00::/8]:443', text: '[fd00::/8]:443', port: 443 },
    { name: 'IPv4-mapped IPv6 becomes IPv4', entry: '::ffff:10.0.0.1', text: '10.0.0.1', port: undefined },
    { name: 'IPv4-mapped CIDR becomes IPv4', entry: '[::ffff:10.0.0.0/104]:80', text: '10.0.0.0/8:80', port: 80 },
    { name: 'an IPv6 address ending in a port-like group is an address', entry: '::1:80', text: '::1:80', port: undefined },
    { name: 'port 65535', entry: '10.0.0.1:65535', text: '10.0.0.1:65535', port: 65535 },
  ])('$name: $entry → $text', ({ entry, text, port }) => {
    expect(parseAllowListEntry(entry, 0)).toMatchObject({ text, port });
  });

  it.each([
    { name: 'empty', entry: '', problem: 'is empty' },
    { name: 'surrounding whitespace', entry: ' 10.0.0.1', problem: 'contains whitespace' },
    { name: 'inner whitespace', entry: '10.0.0.0/ 8', problem: 'contains whitespace' },
    { name: 'host name', entry: 'localhost', problem: 'is not an IP address: the allow-list takes IP addresses and CIDR ranges, never host names' },
    { name: 'host name with port', entry: 'example.com:443', problem: 'is not an IP address' },
    { name: 'hex IPv4 (URL-parser forms are not accepted)', entry: '0x7f.0.0.1', problem: 'is not an IP address' },
    { name: 'octet out of range', entry: '256.0.0.1', problem: 'has an invalid IPv4 address "256.0.0.1": expected four decimal numbers 0–255 without leading zeros' },
    { name: 'leading zero (octal-looking)', entry: '010.0.0.1', problem: 'has an invalid IPv4 address "010.0.0.1"' },
    { name: 'shorthand IPv4', entry: '127.1', problem: 'has an invalid IPv4 address "127.1"' },
    { name: 'prefix too long (IPv4)', entry: '10.0.0.0/33', problem: 'has an invalid prefix length "33": expected 0 to 32 for IPv4' },
    { name: 'prefix too long (IPv6)', entry: 'fd00::/129', problem: 'has an invalid prefix length "129": expected 0 to 128 for IPv6' },
    { name: 'prefix with leading zero', entry: '10.0.0.0/08', problem: 'has an invalid prefix length "08"' },
    { name: 'empty prefix', entry: '10.0.0.0/', problem: 'has an invalid prefix length ""' },
    { name: 'two prefixes', entry: '10.0.0.0/8/9', problem: 'has more than one "/"' },
    { name: 'host bits set (IPv4)', entry: '10.0.0.1/8', problem: 'has address bits set beyond the /8 prefix; the network is 10.0.0.0/8' },
    { name: 'host bits set (IPv6)', entry: 'fd00::1/8', problem: 'has address bits set beyond the /8 prefix; the network is fd00::/8' },
    { name: 'port 0', entry: '10.0.0.1:0', problem: 'has an invalid port "0": expected 1 to 65535' },
    { name: 'port too large', entry: '10.0.0.1:65536', problem: 'has an invalid port "65536": expected 1 to 65535' },
    { name: 'port not a number', entry: '10.0.0.1:http', problem: 'has an invalid port "http"' },
    { name: 'empty port', entry: '10.0.0.1:', problem: 'has an invalid port ""' },
    { name: 'bad IPv6', entry: 'fd00:::1', problem: 'has an invalid IPv6 address "fd00:::1"' },
    { name: 'IPv6 group too long', entry: 'fd00::12345', problem: 'has an invalid IPv6 address "fd00::12345"' },
    { name: 'IPv6 zone id', entry: 'fe80::1%eth0', problem: 'has an IPv6 zone id (%...); zones are not supported' },
    { name: 'unclosed bracket', entry: '[::1:80', problem: 'opens "[" without a closing "]"' },
    { name: 'junk after bracket', entry: '[::1]80', problem: 'has unexpected text after "]" (expected ":<port>")' },
    { name: 'IPv4 in brackets', entry: '[10.0.0.1]:80', problem: 'puts an IPv4 address in brackets; brackets are for IPv6 (write 10.0.0.1:8080)' },
    { name: 'URL instead of an address', entry: 'http://10.0.0.1/', problem: 'is not an IP address' },
  ])('$name: $entry is refused', ({ entry, problem }) => {
    expect(() => parseAllowListEntry(entry, 0)).toThrow(problem);
  });

  it('names the entry and its position, and keeps them for the app', () => {
    let error: unknown;
    try {
      EgressPolicy.fromAllowList(['127.0.0.1', '10.0.0.1/8']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AllowListError);
    expect(error).toMatchObject({
      message: 'egress allow-list entry 2 "10.0.0.1/8" has address bits set beyond the /8 prefix; the network is 10.0.0.0/8',
      entry: '10.0.0.1/8',
      index: 1,
      problem: 'has address bits set beyond the /8 prefix; the network is 10.0.0.0/8',
    });
  });
});

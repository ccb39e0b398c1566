import { fixedDestination, isLocalhostName } from './host-names';
import { EgressPolicy } from './policy';

const LOOPBACK_REFUSAL = '127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed; ::1 is loopback (::1/128) and not allow-listed';

describe('isLocalhostName', () => {
  it.each([
    { hostname: 'localhost', loopback: true },
    { hostname: 'localhost.', loopback: true },
    { hostname: 'LocalHost.', loopback: true },
    { hostname: 'foo.localhost', loopback: true },
    { hostname: 'foo.localhost.', loopback: true },
    { hostname: 'a.b.localhost', loopback: true },
    { hostname: 'localhost..', loopback: false },
    { hostname: 'localhost.example.com', loopback: false },
    { hostname: 'notlocalhost', loopback: false },
    { hostname: 'foolocalhost.', loopback: false },
    { hostname: 'ip6-localhost', loopback: false },
    { hostname: 'localhost.localdomain', loopback: false },
    { hostname: '127.0.0.1', loopback: false },
  ])('$hostname → $loopback', ({ hostname, loopback }) => {
    expect(isLocalhostName(hostname)).toBe(loopback);
  });
});

describe('fixedDestination', () => {
  it.each([
    { name: 'localhost, nothing allow-listed', allow: [], hostname: 'localhost', expected: { refusal: `localhost is loopback by name (RFC 6761): ${LOOPBACK_REFUSAL}` } },
    { name: 'its FQDN form', allow: [], hostname: 'localhost.', expected: { refusal: `localhost. is loopback by name (RFC 6761): ${LOOPBACK_REFUSAL}` } },
    { name: 'a name under localhost', allow: [], hostname: 'foo.localhost.', expected: { refusal: `foo.localhost. is loopback by name (RFC 6761): ${LOOPBACK_REFUSAL}` } },
    {
      name: 'localhost, 127.0.0.1 allow-listed for another port',
      allow: ['127.0.0.1:9000'],
      hostname: 'localhost.',
      expected: {
        refusal:
          'localhost. is loopback by name (RFC 6761): 127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed for port 8080; ::1 is loopback (::1/128) and not allow-listed',
      },
    },
    { name: 'localhost, 127.0.0.1 allow-listed', allow: ['127.0.0.1:8080'], hostname: 'localhost.', expected: { address: '127.0.0.1' } },
    { name: 'localhost, only ::1 allow-listed', allow: ['[::1]:8080'], hostname: 'foo.localhost', expected: { address: '::1' } },
    { name: 'localhost, both allow-listed: IPv4 first', allow: ['127.0.0.0/8', '::1'], hostname: 'localhost', expected: { address: '127.0.0.1' } },
    { name: 'an IPv4 literal, blocked', allow: [], hostname: '127.0.0.1', expected: { refusal: '127.0.0.1 is loopback (127.0.0.0/8) and not allow-listed' } },
    { name: 'an IPv6 literal, allowed', allow: ['::1'], hostname: '::1', expected: { address: '::1' } },
    { name: 'a public IPv4 literal', allow: [], hostname: '93.184.215.14', expected: { address: '93.184.215.14' } },
    { name: 'any other name: only DNS can tell', allow: [], hostname: 'api.example.com.', expected: undefined },
    { name: 'a Debian /etc/hosts alias: only the resolver can tell', allow: [], hostname: 'ip6-localhost', expected: undefined },
  ])('$name', ({ allow, hostname, expected }) => {
    expect(fixedDestination(EgressPolicy.fromAllowList(allow), hostname, 8080)).toEqual(expected);
  });
});

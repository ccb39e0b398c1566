import { DestinationBlockedError, DnsLookupError, classifyFailure, timeoutFailure, type Phase } from './failures';

const errno = (code: string, message = `${code} happened`): Error => Object.assign(new Error(message), { code });
const context = (phase: Phase = 'waiting') => ({ target: 'api.example.com:443', phase, timeoutMs: 5000 });

describe('classifyFailure', () => {
  it.each([
    { name: 'egress refusal', error: new DestinationBlockedError('x resolves to a blocked address'), code: 'destination_blocked' },
    { name: 'our DNS error', error: new DnsLookupError('x.test', errno('ENOTFOUND')), code: 'dns_failure' },
    { name: 'ENOTFOUND', error: errno('ENOTFOUND'), code: 'dns_failure' },
    { name: 'EAI_AGAIN', error: errno('EAI_AGAIN'), code: 'dns_failure' },
    { name: 'undici connect timeout', error: errno('UND_ERR_CONNECT_TIMEOUT'), code: 'connect_timeout' },
    { name: 'undici headers timeout', error: errno('UND_ERR_HEADERS_TIMEOUT'), code: 'timeout' },
    { name: 'undici body timeout', error: errno('UND_ERR_BODY_TIMEOUT'), code: 'timeout' },
    { name: 'ECONNREFUSED', error: errno('ECONNREFUSED'), code: 'connection_refused' },
    { name: 'ECONNRESET', error: errno('ECONNRESET'), code: 'connection_reset' },
    { name: 'EPIPE', error: errno('EPIPE'), code: 'connection_reset' },
    { name: 'undici socket closed', error: errno('UND_ERR_SOCKET', 'other side closed'), code: 'connection_reset' },
    { name: 'kernel connect timeout', error: errno('ETIMEDOUT'), phase: 'connecting' as const, code: 'connect_timeout' },
    { name: 'keep-alive probes failed', error: errno('ETIMEDOUT'), code: 'connection_reset' },
    { name: 'self-signed certificate', error: errno('DEPTH_ZERO_SELF_SIGNED_CERT'), code: 'tls_failure' },
    { name: 'expired certificate', error: errno('CERT_HAS_EXPIRED'), code: 'tls_failure' },
    { name: 'wrong host name', error: errno('ERR_TLS_CERT_ALTNAME_INVALID'), code: 'tls_failure' },
    { name: 'TLS alert', error: errno('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), code: 'tls_failure' },
    { name: 'unknown issuer', error: errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), code: 'tls_failure' },
    { name: 'huge response headers', error: errno('UND_ERR_HEADERS_OVERFLOW'), code: 'response_too_large' },
    { name: 'bad header from the request', error: errno('UND_ERR_INVALID_ARG', 'invalid connection header'), code: 'invalid_request' },
    { name: 'EHOSTUNREACH', error: errno('EHOSTUNREACH'), code: 'network_error' },
    { name: 'HTTP parser error', error: errno('HPE_INVALID_CONSTANT'), code: 'network_error' },
    { name: 'no code at all', error: new Error('mystery'), code: 'network_error' },
    { name: 'not even an Error', error: 'a string', code: 'network_error' },
  ])('$name → $code', ({ error, phase, code }) => {
    expect(classifyFailure(error, context(phase)).code).toBe(code);
  });

  it('writes one bounded line for people, naming host:port only', () => {
    const error = errno('EHOSTUNREACH', `connect EHOSTUNREACH 10.0.0.1:443\n    at stack frame\n${'x'.repeat(500)}`);
    const { message } = classifyFailure(error, context('connecting'));
    expect(message).toBe('network error with api.example.com:443 while connecting: connect EHOSTUNREACH 10.0.0.1:443');
  });

  it.each([
    { code: 'ECONNREFUSED', message: 'api.example.com:443 refused the connection' },
    { code: 'ECONNRESET', message: 'the connection to api.example.com:443 was reset or closed before the response headers (ECONNRESET happened)' },
  ])('$code reads: $message', ({ code, message }) => {
    expect(classifyFailure(errno(code), context()).message).toBe(message);
  });
});

describe('timeoutFailure', () => {
  it.each([
    { phase: 'connecting' as const, code: 'connect_timeout', message: 'no connection to api.example.com:443 within 5000 ms' },
    { phase: 'waiting' as const, code: 'timeout', message: 'no response headers from api.example.com:443 within 5000 ms' },
    { phase: 'receiving' as const, code: 'timeout', message: 'the response body from api.example.com:443 was not complete within 5000 ms' },
  ])('$phase → $code', ({ phase, code, message }) => {
    expect(timeoutFailure(context(phase))).toEqual({ code, message });
  });
});

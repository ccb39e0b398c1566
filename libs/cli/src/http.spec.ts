import { EXIT_CODES } from './errors';
import { httpFailure, transportReason, unreachable } from './http';

const withKey = { baseUrl: 'http://127.0.0.1:8080', apiKey: 'wrong-key-0123456789' };
const noKey = { baseUrl: 'http://127.0.0.1:8080', apiKey: undefined };
const body = (code: string, message: string, extra: Record<string, unknown> = {}) => JSON.stringify({ error: { code, message, ...extra } });

describe('what the proxy answered, as an exit code and a message', () => {
  it.each([
    { name: '401 with a key', status: 401, text: body('UNAUTHORIZED', 'the API key is not valid'), config: withKey, exit: EXIT_CODES.refused, message: 'the proxy refused the API key (401 UNAUTHORIZED): set PARC_API_KEY or --api-key' },
    { name: '401 without a key', status: 401, text: body('UNAUTHORIZED', 'send an API key'), config: noKey, exit: EXIT_CODES.refused, message: 'the proxy wants an API key (401 UNAUTHORIZED): set PARC_API_KEY or --api-key' },
    { name: '403', status: 403, text: body('FORBIDDEN', 'the key may not use dead-letter routes'), config: withKey, exit: EXIT_CODES.refused, message: 'the API key may not use this route (403 FORBIDDEN): the key may not use dead-letter routes; operator routes need an operator key' },
    { name: '400 with details', status: 400, text: body('REQUEST_INVALID', '1 of 2 requests is invalid', { details: [{ index: 1, path: 'requests[1].url', message: 'is required' }] }), config: noKey, exit: EXIT_CODES.refused, message: 'the proxy refused the request (400 REQUEST_INVALID): 1 of 2 requests is invalid', details: ['  requests[1].url: is required'] },
    { name: '413', status: 413, text: body('PAYLOAD_TOO_LARGE', 'more than 1000 requests (limit maxBatchRequests)'), config: noKey, exit: EXIT_CODES.refused, message: 'the proxy refused the request (413 PAYLOAD_TOO_LARGE): more than 1000 requests (limit maxBatchRequests)' },
    { name: '422', status: 422, text: body('IDEMPOTENCY_KEY_MISMATCH', 'the key was used with a different body'), config: noKey, exit: EXIT_CODES.refused, message: 'the proxy refused the request (422 IDEMPOTENCY_KEY_MISMATCH): the key was used with a different body' },
    { name: '404', status: 404, text: body('UNKNOWN_ID', 'no batch x'), config: noKey, exit: EXIT_CODES.refused, message: 'the proxy refused the request (404 UNKNOWN_ID): no batch x' },
    { name: '500', status: 500, text: body('INTERNAL_ERROR', 'unexpected error'), config: noKey, exit: EXIT_CODES.unexpected, message: 'the proxy failed (500 INTERNAL_ERROR): unexpected error' },
    { name: '503 with Retry-After', status: 503, text: body('BACKLOG_FULL', 'the inbox is full'), config: noKey, retryAfter: '7', exit: EXIT_CODES.unexpected, message: 'the proxy failed (503 BACKLOG_FULL): the inbox is full; it asks to retry after 7 s' },
    { name: 'a body that is not JSON', status: 502, text: '<html>Bad Gateway</html>', config: noKey, exit: EXIT_CODES.unexpected, message: 'the proxy failed (502): <html>Bad Gateway</html>' },
    {
      name: 'an NDJSON stream that failed after accepting part of it',
      status: 503,
      text: JSON.stringify({ error: { code: 'QUEUE_UNAVAILABLE', message: 'Redis is down' }, accepted: { batchId: 'B', ids: ['a', 'b'] } }),
      config: noKey,
      exit: EXIT_CODES.unexpected,
      message: 'the proxy failed (503 QUEUE_UNAVAILABLE): Redis is down',
      details: ['2 requests were accepted into batch B before the stream failed; submitting the same file again with the same --idempotency-key completes that batch'],
    },
  ])('$name', ({ status, text, config, retryAfter, exit, message, details }) => {
    const error = httpFailure(status, text, config, retryAfter);
    expect({ exit: error.exitCode, message: error.message, details: error.details, status: error.status }).toEqual({ exit, message, details: details ?? [], status });
  });
});

describe('no answer at all', () => {
  const cause = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(`x ${code}`), { code }) });
  it.each([
    { name: 'connection refused', error: cause('ECONNREFUSED'), reason: 'connection refused; is it running? (npm start)' },
    { name: 'DNS', error: cause('ENOTFOUND'), reason: 'the host name does not resolve (DNS)' },
    { name: 'connect timeout', error: cause('UND_ERR_CONNECT_TIMEOUT'), reason: 'timed out connecting' },
    { name: 'the call took too long', error: Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), reason: 'no answer within 30 s' },
    { name: 'happy eyeballs: every address refused', error: new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]) }), reason: 'connection refused; is it running? (npm start)' },
    { name: 'a certificate', error: cause('DEPTH_ZERO_SELF_SIGNED_CERT'), reason: 'TLS failed (DEPTH_ZERO_SELF_SIGNED_CERT)' },
    { name: 'something else', error: new TypeError('fetch failed', { cause: new Error('weird') }), reason: 'network error: weird' },
  ])('$name', ({ error, reason }) => {
    expect(transportReason(error, 30_000)).toBe(reason);
  });

  it('is exit code 4 naming the proxy', () => {
    const error = unreachable('http://127.0.0.1:8080', cause('ECONNREFUSED'));
    expect({ exit: error.exitCode, message: error.message }).toEqual({
      exit: EXIT_CODES.unreachable,
      message: 'cannot reach the proxy at http://127.0.0.1:8080: connection refused; is it running? (npm start)',
    });
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});

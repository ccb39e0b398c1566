import { isParcError, type FieldIssue } from '@parc/errors';
import { envelopeWith, validEnvelope } from './envelope.fixture';
import { DEFAULT_ENVELOPE_LIMITS } from './limits';
import { HTTP_METHODS } from './schema';
import { assertValidEnvelope, validateEnvelope } from './validate';

type Loose = Parameters<Parameters<typeof envelopeWith>[0]>[0];

function issuesOf(value: unknown, limits?: Parameters<typeof validateEnvelope>[1]): readonly FieldIssue[] {
  const result = validateEnvelope(value, limits);
  return result.ok ? [] : result.issues;
}

const b64 = (bytes: number): string => Buffer.alloc(bytes, 7).toString('base64');
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const HOST_LABEL = (host: string): string =>
  `must have a valid host name: "${host}" has an empty label (at most one dot at the end, none in a row)`;

describe('validateEnvelope', () => {
  it('accepts a complete envelope and returns it', () => {
    const envelope = validEnvelope();
    expect(validateEnvelope(envelope)).toEqual({ ok: true, envelope });
  });

  it('accepts an envelope with only the required fields', () => {
    const minimal = envelopeWith((e) => {
      for (const field of ['deadlineAt', 'callback', 'metadata']) delete e[field];
      delete e.request.bodyBase64;
      e.request.method = 'GET';
      e.request.headers = {};
      e.attempts = [];
    });
    expect(issuesOf(minimal)).toEqual([]);
  });

  it.each(HTTP_METHODS.map((method) => ({ method })))('accepts the method $method', ({ method }) => {
    expect(issuesOf(envelopeWith((e) => ((e.request.method = method), delete e.request.bodyBase64)))).toEqual([]);
  });

  it.each([
    { name: 'the fully-qualified form of a name', url: 'https://api.example.com./hook' },
    { name: 'a loopback name with its trailing dot (the egress policy judges it, not validation)', url: 'http://localhost.:8080/' },
    { name: 'a loopback name under localhost', url: 'http://foo.localhost./' },
    { name: 'an IPv6 literal', url: 'http://[::1]:8080/' },
  ])('accepts $name', ({ url }) => {
    expect(issuesOf(envelopeWith((e) => (e.request.url = url)))).toEqual([]);
  });

  it.each(['cancelled', 'deadline_exceeded'])('accepts the pipeline end marker endReason=%s', (reason) => {
    expect(issuesOf(envelopeWith((e) => (e.endReason = reason)))).toEqual([]);
  });

  it.each<{ name: string; change: (e: Loose) => void; path: string; message: string | RegExp }>([
    // Schema: structure, types, unknown fields
    { name: 'missing id', change: (e) => delete e.id, path: 'id', message: 'is required' },
    { name: 'unknown top-level field', change: (e) => (e.priority = 1), path: 'priority', message: /^is not a known field \(unknown fields are rejected\); expected one of: v, id, / },
    { name: 'unknown request field', change: (e) => (e.request.body = 'x'), path: 'request.body', message: /expected one of: method, url, headers, bodyBase64, timeoutMs, propagateTrace$/ },
    { name: 'timeout as a string is not coerced', change: (e) => (e.request.timeoutMs = '5000'), path: 'request.timeoutMs', message: 'must be an integer' },
    { name: 'fractional timeout', change: (e) => (e.request.timeoutMs = 1.5), path: 'request.timeoutMs', message: 'must be an integer' },
    { name: 'zero timeout', change: (e) => (e.request.timeoutMs = 0), path: 'request.timeoutMs', message: 'must be at least 1' },
    { name: 'wrong version', change: (e) => (e.v = 2), path: 'v', message: 'must be 1' },
    { name: 'bad ULID', change: (e) => (e.batchId = '01jhnb4j00zzzzzzzzzzzzzzzz'), path: 'batchId', message: /^must be a ULID \(26 characters of Crockford base32/ },
    { name: 'upper-case trace id', change: (e) => (e.traceId = '4BF92F3577B34DA6A3CE929D0E0E4736'), path: 'traceId', message: /^must be 32 lowercase hexadecimal characters, not all zero/ },
    { name: 'all-zero trace id', change: (e) => (e.traceId = '0'.repeat(32)), path: 'traceId', message: /not all zero/ },
    { name: 'timestamp with offset', change: (e) => (e.acceptedAt = '2025-01-15T13:00:00+01:00'), path: 'acceptedAt', message: 'must be an ISO-8601 UTC timestamp such as 2025-01-31T12:00:00.000Z' },
    { name: 'impossible date', change: (e) => (e.deadlineAt = '2025-02-30T12:00:00Z'), path: 'deadlineAt', message: /^must be an ISO-8601 UTC timestamp/ },
    { name: 'method TRACE', change: (e) => (e.request.method = 'TRACE'), path: 'request.method', message: `must be one of: ${METHODS}` },
    { name: 'method CONNECT', change: (e) => (e.request.method = 'CONNECT'), path: 'request.method', message: `must be one of: ${METHODS}` },
    { name: 'an extension method', change: (e) => (e.request.method = 'PROPFIND'), path: 'request.method', message: `must be one of: ${METHODS}` },
    { name: 'a lower-case method', change: (e) => (e.request.method = 'post'), path: 'request.method', message: `must be one of: ${METHODS} (case-sensitive: POST, not post)` },
    { name: 'method that is not a token', change: (e) => (e.request.method = 'GET /x'), path: 'request.method', message: `must be one of: ${METHODS}` },
    { name: 'headers as an array', change: (e) => (e.request.headers = [['a', 'b']]), path: 'request.headers', message: 'must be an object' },
    { name: 'numeric header value', change: (e) => (e.request.headers['X-Count'] = 3), path: 'request.headers.X-Count', message: 'must be a string' },
    { name: 'unknown jitter', change: (e) => (e.policy.jitter = 'random'), path: 'policy.jitter', message: 'must be one of: full, equal, none' },
    { name: 'unknown end reason', change: (e) => (e.endReason = 'retries_exhausted'), path: 'endReason', message: 'must be one of: cancelled, deadline_exceeded' },
    { name: 'unknown policy field', change: (e) => (e.policy.retries = 3), path: 'policy.retries', message: /^is not a known field/ },
    { name: 'duplicate statuses', change: (e) => (e.policy.retryOnStatuses = [503, 503]), path: 'policy.retryOnStatuses', message: 'must not contain duplicates (items 0 and 1 are equal)' },
    { name: 'unknown error code in an attempt', change: (e) => (e.attempts[0].error = { code: 'EPIPE', message: 'x' }), path: 'attempts[0].error.code', message: /^must be one of: timeout, connect_timeout/ },
    { name: 'response header of the wrong type', change: (e) => (e.attempts[0].headers.age = 3), path: 'attempts[0].headers.age', message: 'must be a string or an array of strings' },
    { name: 'metadata that is not an object', change: (e) => (e.metadata = [1, 2]), path: 'metadata', message: 'must be an object' },
    { name: 'not an object at all', change: (e) => (e.request = null), path: 'request', message: 'must be an object' },
    // Semantics: URLs
    { name: 'ftp URL', change: (e) => (e.request.url = 'ftp://files.example.com/x'), path: 'request.url', message: 'must use http or https, not ftp' },
    { name: 'relative URL', change: (e) => (e.request.url = '/hooks'), path: 'request.url', message: 'must be an absolute URL such as https://api.example.com/path' },
    { name: 'URL with a newline', change: (e) => (e.request.url = 'https://api.example.com/a\nb'), path: 'request.url', message: 'must not contain spaces or control characters (found U+000A); percent-encode them' },
    { name: 'URL with credentials', change: (e) => (e.request.url = 'https://user:pw@api.example.com/'), path: 'request.url', message: /^must not contain credentials/ },
    { name: 'URL too long', change: (e) => (e.request.url = `https://a.example.com/${'x'.repeat(8192)}`), path: 'request.url', message: 'must be at most 8192 characters (limit maxUrlLength), got 8214' },
    { name: 'empty URL', change: (e) => (e.request.url = ''), path: 'request.url', message: 'must not be empty' },
    { name: 'host with two trailing dots', change: (e) => (e.request.url = 'http://localhost../x'), path: 'request.url', message: HOST_LABEL('localhost..') },
    { name: 'host with dots in a row', change: (e) => (e.request.url = 'https://api..example.com/'), path: 'request.url', message: HOST_LABEL('api..example.com') },
    { name: 'host with a leading dot', change: (e) => (e.request.url = 'https://.localhost/'), path: 'request.url', message: HOST_LABEL('.localhost') },
    { name: 'a dot as the host', change: (e) => (e.request.url = 'http://./'), path: 'request.url', message: HOST_LABEL('.') },
    { name: 'callback host with an empty label', change: (e) => (e.callback.url = 'https://me..example.com/cb'), path: 'callback.url', message: HOST_LABEL('me..example.com') },
    { name: 'javascript callback URL', change: (e) => (e.callback.url = 'javascript:alert(1)'), path: 'callback.url', message: 'must use http or https, not javascript' },
    // Semantics: headers
    { name: 'header name with a space', change: (e) => (e.request.headers['X Token'] = 'a'), path: 'request.headers.X Token', message: /^is not a valid header name/ },
    { name: 'CRLF in a header value', change: (e) => (e.request.headers['X-Token'] = 'a\r\nHost: evil'), path: 'request.headers.X-Token', message: /^must not contain CR, LF, NUL.*\(found U\+000D at position 1\)$/ },
    { name: 'NUL in a header value', change: (e) => (e.request.headers['X-Token'] = 'a\u0000'), path: 'request.headers.X-Token', message: /found U\+0000/ },
    { name: 'host header', change: (e) => (e.request.headers.Host = 'evil.example.com'), path: 'request.headers.Host', message: 'is a hop-by-hop or framing header that the HTTP client sets itself; remove it' },
    { name: 'transfer-encoding header', change: (e) => (e.request.headers['transfer-encoding'] = 'chunked'), path: 'request.headers.transfer-encoding', message: /^is a hop-by-hop or framing header/ },
    { name: 'content-length header', change: (e) => (e.request.headers['Content-Length'] = '5'), path: 'request.headers.Content-Length', message: /^is a hop-by-hop or framing header/ },
    { name: 'same header twice in different case', change: (e) => (e.request.headers['x-token'] = 'b'), path: 'request.headers.x-token', message: 'duplicates header X-Token (header names are case-insensitive); merge them' },
    { name: 'hop-by-hop callback header', change: (e) => (e.callback.headers.Connection = 'close'), path: 'callback.headers.Connection', message: /^is a hop-by-hop or framing header/ },
    // Semantics: bodies
    { name: 'base64 with whitespace', change: (e) => (e.request.bodyBase64 = 'aGVs bG8='), path: 'request.bodyBase64', message: /^must be canonical base64/ },
    { name: 'base64 without padding', change: (e) => (e.request.bodyBase64 = 'aGVsbG8'), path: 'request.bodyBase64', message: /^must be canonical base64/ },
    { name: 'base64url alphabet', change: (e) => (e.request.bodyBase64 = 'a-_b'), path: 'request.bodyBase64', message: /^must be canonical base64/ },
    { name: 'base64 with non-zero padding bits', change: (e) => (e.request.bodyBase64 = 'aGVsbG9='), path: 'request.bodyBase64', message: /^must be canonical base64/ },
    { name: 'body with GET', change: (e) => (e.request.method = 'GET'), path: 'request.bodyBase64', message: 'must be absent for GET requests' },
    { name: 'empty body with HEAD', change: (e) => ((e.request.method = 'HEAD'), (e.request.bodyBase64 = '')), path: 'request.bodyBase64', message: 'must be absent for HEAD requests' },
    { name: 'recorded body too large', change: (e) => (e.attempts[0].bodyBase64 = b64(64 * 1024 + 1)), path: 'attempts[0].bodyBase64', message: 'must decode to at most 65536 bytes (limit maxRecordedBodyBytes), got 65537' },
    // Semantics: limits, policy, timeline, attempts
    { name: 'timeout above the limit', change: (e) => (e.request.timeoutMs = 300_001), path: 'request.timeoutMs', message: 'must be at most 300000 (limit maxTimeoutMs)' },
    { name: 'attempts above the limit', change: (e) => (e.policy.maxAttempts = 51), path: 'policy.maxAttempts', message: 'must be at most 50 (limit maxAttempts)' },
    { name: 'attempts beyond the absolute bound', change: (e) => (e.policy.maxAttempts = 5000), path: 'policy.maxAttempts', message: 'must be at most 1000' },
    { name: 'cap below the initial delay', change: (e) => (e.policy.maxDelayMs = 10), path: 'policy.maxDelayMs', message: 'must be at least initialDelayMs (1000)' },
    { name: 'final error marked retryable', change: (e) => e.policy.retryOnErrors.push('destination_blocked'), path: 'policy.retryOnErrors[1]', message: 'destination_blocked is final and can never be retried' },
    { name: 'metadata too large', change: (e) => (e.metadata = { blob: 'x'.repeat(4096) }), path: 'metadata', message: 'must serialise to at most 4096 bytes of JSON (limit maxMetadataBytes), got 4107' },
    { name: 'deadline before acceptance', change: (e) => (e.deadlineAt = '2025-01-15T11:00:00.000Z'), path: 'deadlineAt', message: 'must be after acceptedAt' },
    { name: 'deadline before notBefore', change: (e) => (e.notBefore = '2025-01-15T14:00:00.000Z'), path: 'deadlineAt', message: 'must be after notBefore, or no attempt could ever start' },
    { name: 'notBefore before acceptance', change: (e) => (e.notBefore = '2025-01-15T11:00:00.000Z'), path: 'notBefore', message: 'must not be before acceptedAt' },
    { name: 'attempt numbered out of order', change: (e) => (e.attempts[0].attempt = 2), path: 'attempts[0].attempt', message: 'must be 1 (attempts are numbered 1, 2, 3… in order)' },
    { name: 'attempt with neither status nor error', change: (e) => delete e.attempts[0].status, path: 'attempts[0]', message: 'must have a status, an error, or both' },
    { name: 'more attempts than the policy allows', change: (e) => (e.policy.maxAttempts = 1, e.attempts.push({ ...e.attempts[0], attempt: 2 })), path: 'attempts', message: 'must hold at most policy.maxAttempts (1) entries, got 2' },
  ])('$name → $path', ({ change, path, message }) => {
    const issues = issuesOf(envelopeWith(change));
    expect(issues).toEqual([{ path, message: typeof message === 'string' ? message : expect.stringMatching(message) }]);
  });

  it('reports every problem at once, schema and semantic alike', () => {
    const issues = issuesOf(
      envelopeWith((e) => {
        e.request.timeoutMs = '5000';
        e.request.url = 'ftp://x';
        e.request.headers.Connection = 'close';
        e.extra = true;
      }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual(['extra', 'request.headers.Connection', 'request.timeoutMs', 'request.url']);
  });

  it('refuses a value that is not an object', () => {
    expect(issuesOf('{"v":1}')).toEqual([{ path: '(root)', message: 'must be an object' }]);
  });

  describe('limits', () => {
    it.each<{ name: string; limits: Partial<typeof DEFAULT_ENVELOPE_LIMITS>; change: (e: Loose) => void; path: string; message: string }>([
      { name: 'maxUrlLength', limits: { maxUrlLength: 20 }, change: (e) => delete e.callback, path: 'request.url', message: 'must be at most 20 characters (limit maxUrlLength), got 33' },
      { name: 'maxHeaderCount', limits: { maxHeaderCount: 1 }, change: () => undefined, path: 'request.headers', message: 'must have at most 1 headers (limit maxHeaderCount), got 2' },
      { name: 'maxHeaderBytes', limits: { maxHeaderBytes: 30 }, change: () => undefined, path: 'request.headers', message: 'must total at most 30 bytes of names and values (limit maxHeaderBytes), got 41' },
      { name: 'maxBodyBytes', limits: { maxBodyBytes: 16 }, change: () => undefined, path: 'request.bodyBase64', message: 'must decode to at most 16 bytes (limit maxBodyBytes), got 17' },
      { name: 'maxMetadataBytes', limits: { maxMetadataBytes: 10 }, change: () => undefined, path: 'metadata', message: 'must serialise to at most 10 bytes of JSON (limit maxMetadataBytes), got 32' },
      { name: 'maxRecordedBodyBytes', limits: { maxRecordedBodyBytes: 3 }, change: () => undefined, path: 'attempts[0].bodyBase64', message: 'must decode to at most 3 bytes (limit maxRecordedBodyBytes), got 4' },
      { name: 'maxAttempts', limits: { maxAttempts: 4 }, change: () => undefined, path: 'policy.maxAttempts', message: 'must be at most 4 (limit maxAttempts)' },
      { name: 'maxTimeoutMs', limits: { maxTimeoutMs: 5000 }, change: () => undefined, path: 'request.timeoutMs', message: 'must be at most 5000 (limit maxTimeoutMs)' },
      { name: 'default body limit is 1 MiB decoded', limits: {}, change: (e) => (e.request.bodyBase64 = b64(1024 * 1024 + 1)), path: 'request.bodyBase64', message: 'must decode to at most 1048576 bytes (limit maxBodyBytes), got 1048577' },
      { name: 'default header count is 64', limits: {}, change: (e) => (e.request.headers = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`x-${i}`, 'v']))), path: 'request.headers', message: 'must have at most 64 headers (limit maxHeaderCount), got 65' },
    ])('$name', ({ limits, change, path, message }) => {
      expect(issuesOf(envelopeWith(change), limits)).toEqual([{ path, message }]);
    });

    it('accepts values exactly at the limits', () => {
      const atLimit = envelopeWith((e) => {
        e.request.bodyBase64 = b64(1024 * 1024);
        e.request.timeoutMs = 300_000;
        e.policy.maxAttempts = 50;
      });
      expect(issuesOf(atLimit)).toEqual([]);
    });
  });
});

describe('assertValidEnvelope', () => {
  it('returns a valid envelope', () => {
    const envelope = validEnvelope();
    expect(assertValidEnvelope(envelope)).toBe(envelope);
  });

  it('throws ENVELOPE_INVALID with every issue as details and the first ones in the message', () => {
    const invalid = envelopeWith((e) => {
      e.request.url = 'ftp://x';
      e.policy.maxAttempts = 0;
    });
    let thrown: unknown;
    try {
      assertValidEnvelope(invalid);
    } catch (error) {
      thrown = error;
    }
    expect(isParcError(thrown, 'ENVELOPE_INVALID')).toBe(true);
    expect(thrown).toMatchObject({
      status: 400,
      message: 'envelope is invalid: policy.maxAttempts must be at least 1; request.url must use http or https, not ftp',
      details: [
        { path: 'policy.maxAttempts', message: 'must be at least 1' },
        { path: 'request.url', message: 'must use http or https, not ftp' },
      ],
    });
  });
});

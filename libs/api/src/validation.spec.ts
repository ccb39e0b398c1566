import { AUTH, buildTestApi, postBatch, type TestApi } from './api.fixture';

const OK = 'https://api.example.com/ok';
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

interface Case {
  readonly name: string;
  readonly body: unknown;
  readonly details: readonly { index?: number; path: string; message: string }[];
}

/** What users get wrong, and the exact answer they get: the API's paths, never the envelope's. */
const INVALID: readonly Case[] = [
  { name: 'no url', body: { requests: [{ method: 'GET' }] }, details: [{ index: 0, path: 'requests[0].url', message: 'is required' }] },
  {
    name: 'a non-http scheme',
    body: { requests: [{ url: OK }, { url: 'ftp://files.example.com/x' }] },
    details: [{ index: 1, path: 'requests[1].url', message: 'must use http or https, not ftp' }],
  },
  {
    name: 'timeoutMs as a string (no coercion)',
    body: { requests: [{ url: OK, timeoutMs: '5000' }] },
    details: [{ index: 0, path: 'requests[0].timeoutMs', message: 'must be an integer' }],
  },
  {
    name: 'an unknown field',
    body: { requests: [{ url: OK, retries: 3 }] },
    details: [
      {
        index: 0,
        path: 'requests[0].retries',
        message:
          'is not a known field (unknown fields are rejected); expected one of: url, method, headers, body, bodyBase64, timeoutMs, retry, deadlineMs, delayMs, callback, metadata, flowControl, propagateTrace',
      },
    ],
  },
  {
    name: 'an unknown retry field',
    body: { requests: [{ url: OK, retry: { attempts: 3 } }] },
    details: [
      {
        index: 0,
        path: 'requests[0].retry.attempts',
        message: 'is not a known field (unknown fields are rejected); expected one of: maxAttempts, initialDelayMs, maxDelayMs, multiplier, jitter, retryOn',
      },
    ],
  },
  {
    name: 'maxAttempts over the deployment limit (named as retry.maxAttempts)',
    body: { requests: [{ url: OK }, { url: OK }, { url: OK }, { url: OK, retry: { maxAttempts: 51 } }] },
    details: [{ index: 3, path: 'requests[3].retry.maxAttempts', message: 'must be at most 50 (limit maxAttempts)' }],
  },
  {
    name: 'a 2xx in retryOn (named retryOn, not retryOnStatuses)',
    body: { requests: [{ url: OK, retry: { retryOn: [503, 200] } }] },
    details: [{ index: 0, path: 'requests[0].retry.retryOn[1]', message: 'must be at least 400' }],
  },
  {
    name: 'two limits for one flow-control key in one batch (defaults merged key by key)',
    body: {
      defaults: { flowControl: { key: 'partner-42', parallelism: 5 } },
      requests: [{ url: OK }, { url: OK, flowControl: { rate: 10 } }],
    },
    details: [
      {
        index: 1,
        path: 'requests[1].flowControl.rate',
        message:
          'gives key "partner-42" rate 10, but requests[0] gave it none: every request of one key in a submission must carry the same limits (defaults.flowControl sets them once for a batch)',
      },
    ],
  },
  {
    name: "limits for an origin that another request of the batch calls without any",
    body: { requests: [{ url: OK }, { url: `${OK}/other`, flowControl: { parallelism: 2 } }] },
    details: [
      {
        index: 1,
        path: 'requests[1].flowControl',
        message:
          'for key "https://api.example.com" has limits, but requests[0] had none: every request of one key in a submission must carry the same limits (defaults.flowControl sets them once for a batch)',
      },
    ],
  },
  {
    name: 'a flow-control period without a rate',
    body: { requests: [{ url: OK, flowControl: { periodMs: 60_000 } }] },
    details: [{ index: 0, path: 'requests[0].flowControl.periodMs', message: 'is the window of rate: give rate with it, or leave it out' }],
  },
  {
    name: 'a flow-control key with a space, and parallelism 0',
    body: { requests: [{ url: OK, flowControl: { key: 'partner 42', parallelism: 0 } }] },
    details: [
      { index: 0, path: 'requests[0].flowControl.key', message: 'must be printable ASCII without spaces, e.g. partner-42 or https://api.example.com' },
      { index: 0, path: 'requests[0].flowControl.parallelism', message: 'must be at least 1' },
    ],
  },
  {
    name: 'maxDelayMs below initialDelayMs',
    body: { requests: [{ url: OK, retry: { initialDelayMs: 5000, maxDelayMs: 1000 } }] },
    details: [{ index: 0, path: 'requests[0].retry.maxDelayMs', message: 'must be at least initialDelayMs (5000)' }],
  },
  {
    name: 'body and bodyBase64 together',
    body: { requests: [{ method: 'POST', url: OK, body: 'a', bodyBase64: 'YQ==' }] },
    details: [{ index: 0, path: 'requests[0].body', message: 'must not be given together with bodyBase64; send one of them' }],
  },
  {
    name: 'a body on a GET',
    body: { requests: [{ url: OK, body: 'a' }] },
    details: [{ index: 0, path: 'requests[0].body', message: 'must be absent for GET requests' }],
  },
  {
    name: 'bad base64',
    body: { requests: [{ method: 'POST', url: OK, bodyBase64: 'not base64!' }] },
    details: [
      {
        index: 0,
        path: 'requests[0].bodyBase64',
        message: 'must be canonical base64 (RFC 4648 alphabet with = padding, no whitespace or line breaks)',
      },
    ],
  },
  {
    name: 'a hop-by-hop header',
    body: { requests: [{ url: OK, headers: { Connection: 'close' } }] },
    details: [
      { index: 0, path: 'requests[0].headers.Connection', message: 'is a hop-by-hop or framing header that the HTTP client sets itself; remove it' },
    ],
  },
  {
    name: 'a deadline before the delay',
    body: { requests: [{ url: OK, delayMs: 5000, deadlineMs: 1000 }] },
    details: [{ index: 0, path: 'requests[0].deadlineMs', message: 'must be greater than delayMs (5000), or no attempt could ever start' }],
  },
  {
    name: 'a bad item callback',
    body: { requests: [{ url: OK, callback: { url: 'mailto:me@example.com' } }] },
    details: [{ index: 0, path: 'requests[0].callback.url', message: 'must use http or https, not mailto' }],
  },
  {
    name: 'a bad batch callback, reported once',
    body: { requests: [{ url: OK }, { url: OK }], callback: { url: 'not a url' } },
    details: [{ index: 0, path: 'callback.url', message: 'must not contain spaces or control characters (found U+0020); percent-encode them' }],
  },
  {
    name: 'a bad default, reported once',
    body: { requests: [{ url: OK }, { url: OK }], defaults: { timeoutMs: 999_999 } },
    details: [{ index: 0, path: 'defaults.timeoutMs', message: 'must be at most 300000 (limit maxTimeoutMs)' }],
  },
  {
    name: 'TRACE (the fourth item, named by index)',
    body: { requests: [{ url: OK }, { url: OK }, { url: OK }, { url: OK, method: 'TRACE' }] },
    details: [{ index: 3, path: 'requests[3].method', message: `must be one of: ${METHODS}` }],
  },
  {
    name: 'CONNECT',
    body: { requests: [{ url: OK, method: 'CONNECT' }] },
    details: [{ index: 0, path: 'requests[0].method', message: `must be one of: ${METHODS}` }],
  },
  {
    name: 'an extension method',
    body: { requests: [{ url: OK, method: 'PURGE' }] },
    details: [{ index: 0, path: 'requests[0].method', message: `must be one of: ${METHODS}` }],
  },
  {
    name: 'a lower-case method (methods are case-sensitive; nothing is coerced)',
    body: { requests: [{ url: OK, method: 'post', body: 'a' }] },
    details: [{ index: 0, path: 'requests[0].method', message: `must be one of: ${METHODS} (case-sensitive: POST, not post)` }],
  },
  {
    name: 'TRACE in defaults',
    body: { requests: [{ url: OK }], defaults: { method: 'TRACE' } },
    details: [{ path: 'defaults.method', message: `must be one of: ${METHODS}` }],
  },
  {
    name: 'a host with two trailing dots',
    body: { requests: [{ url: 'http://localhost../' }] },
    details: [
      {
        index: 0,
        path: 'requests[0].url',
        message: 'must have a valid host name: "localhost.." has an empty label (at most one dot at the end, none in a row)',
      },
    ],
  },
  { name: 'no requests', body: { requests: [] }, details: [{ path: 'requests', message: 'must have at least 1 items' }] },
  {
    name: 'requests not an array',
    body: { requests: { url: OK } },
    details: [{ path: 'requests', message: 'must be an array' }],
  },
];

/** Limits: the message names the limit. Small limits keep the bodies small. */
const LIMITS = { maxUrlLength: 40, maxHeaderCount: 2, maxHeaderBytes: 30, maxBodyBytes: 4, maxMetadataBytes: 20 };

const OVER_LIMIT: readonly Case[] = [
  {
    name: 'url length',
    body: { requests: [{ url: `${OK}/${'x'.repeat(40)}` }] },
    details: [{ index: 0, path: 'requests[0].url', message: 'must be at most 40 characters (limit maxUrlLength), got 67' }],
  },
  {
    name: 'header count',
    body: { requests: [{ url: OK, headers: { a: '1', b: '2', c: '3' } }] },
    details: [{ index: 0, path: 'requests[0].headers', message: 'must have at most 2 headers (limit maxHeaderCount), got 3' }],
  },
  {
    name: 'header bytes',
    body: { requests: [{ url: OK, headers: { 'x-long': 'v'.repeat(30) } }] },
    details: [
      { index: 0, path: 'requests[0].headers', message: 'must total at most 30 bytes of names and values (limit maxHeaderBytes), got 36' },
    ],
  },
  {
    name: 'text body bytes',
    body: { requests: [{ method: 'POST', url: OK, body: 'héllo' }] },
    details: [{ index: 0, path: 'requests[0].body', message: 'must be at most 4 bytes of UTF-8 (limit maxBodyBytes), got 6' }],
  },
  {
    name: 'base64 body bytes',
    body: { requests: [{ method: 'POST', url: OK, bodyBase64: 'AAECAwQ=' }] },
    details: [{ index: 0, path: 'requests[0].bodyBase64', message: 'must decode to at most 4 bytes (limit maxBodyBytes), got 5' }],
  },
  {
    name: 'metadata bytes (item merged with the batch)',
    body: { requests: [{ url: OK, metadata: { a: 1 } }], metadata: { b: 'xxxxxxxxxxxx' } },
    details: [
      { index: 0, path: 'requests[0].metadata', message: 'must serialise to at most 20 bytes of JSON (limit maxMetadataBytes), got 26' },
    ],
  },
];

describe('POST /v1/requests: validation', () => {
  let api: TestApi;
  afterEach(async () => {
    // Every refusal leaves the inbox and the ledger untouched.
    expect(api.acceptCalls).toEqual([]);
    expect(await api.inboxWaiting()).toBe(0);
    await api.close();
  });

  it.each(INVALID)('400 for $name, naming each field', async ({ body, details }) => {
    api = await buildTestApi();
    const response = await postBatch(api, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'REQUEST_INVALID', details });
  });

  it.each(OVER_LIMIT)('400 naming the limit for $name', async ({ body, details }) => {
    api = await buildTestApi({ envelopeLimits: LIMITS });
    const response = await postBatch(api, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'REQUEST_INVALID', details });
  });

  it('lists every invalid item at once, schema and semantic problems together, and says how many', async () => {
    api = await buildTestApi();
    const response = await postBatch(api, { requests: [{ url: 'ftp://x.example' }, { url: OK }, { url: OK, timeoutMs: 0 }] });
    expect(response.json().error).toEqual({
      code: 'REQUEST_INVALID',
      message: '2 of 3 requests are invalid: requests[2].timeoutMs must be at least 1; requests[0].url must use http or https, not ftp',
      details: [
        { index: 2, path: 'requests[2].timeoutMs', message: 'must be at least 1' },
        { index: 0, path: 'requests[0].url', message: 'must use http or https, not ftp' },
      ],
    });
  });

  it('413 for a batch over maxBatchRequests, naming the limit', async () => {
    api = await buildTestApi({ limits: { maxBatchRequests: 3 } });
    const response = await postBatch(api, { requests: Array.from({ length: 4 }, () => ({ url: OK })) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'the batch holds 4 requests, more than 3 (limit maxBatchRequests); split it or stream the requests as application/x-ndjson',
    });
  });

  it('413 for a body over maxJsonBodyBytes, naming the limit', async () => {
    api = await buildTestApi({ limits: { maxJsonBodyBytes: 100 } });
    const response = await postBatch(api, { requests: [{ url: `${OK}/${'x'.repeat(100)}` }] });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(response.json().error.message).toMatch(/larger than 100 bytes \(limit maxJsonBodyBytes\)/);
  });

  it.each([
    { name: 'text/plain', contentType: 'text/plain' },
    { name: 'form data', contentType: 'application/x-www-form-urlencoded' },
    { name: 'JSON in Latin-1', contentType: 'application/json; charset=iso-8859-1' },
  ])('415 for $name', async ({ contentType }) => {
    api = await buildTestApi();
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: { ...AUTH, 'content-type': contentType },
      payload: JSON.stringify({ requests: [{ url: OK }] }),
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('400 for an Idempotency-Key that is not visible ASCII', async () => {
    api = await buildTestApi();
    const response = await postBatch(api, { requests: [{ url: OK }] }, { 'idempotency-key': 'with space' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([
      { path: 'headers.idempotency-key', message: 'must match the pattern ^[\\x21-\\x7e]+$' },
    ]);
  });
});

import { PassThrough, Readable } from 'node:stream';
import { parseEnvelope } from '@parc/envelope';
import { ParcError } from '@parc/errors';
import { buildTestApi, postNdjson, type TestApi } from './api.fixture';

const line = (spec: unknown): string => `${JSON.stringify(spec)}\n`;
const OK = 'https://api.example.com/ok';

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('POST /v1/requests (NDJSON stream)', () => {
  let api: TestApi;
  afterEach(() => api.close());

  it('accepts good lines, reports bad ones by line number, and enqueues only the good ones', async () => {
    api = await buildTestApi({ limits: { maxNdjsonLineBytes: 200 } });
    const body = [
      line({ url: `${OK}?n=1` }),
      'not json\n',
      '\n',
      line({ url: 'ftp://x.example' }),
      line({ url: OK, timeoutMs: '5000' }),
      `${JSON.stringify({ url: `${OK}?${'x'.repeat(300)}` })}\n`,
      '[1,2]\r\n',
      line({ method: 'POST', url: `${OK}?n=2`, body: 'hi' }).replace('\n', '\r\n'),
      JSON.stringify({ url: `${OK}?n=3` }), // no final newline
    ].join('');
    const response = await postNdjson(api, body);
    expect(response.statusCode).toBe(202);
    const { batchId, ids, rejected } = response.json();
    expect(ids).toHaveLength(3);
    expect(rejected).toEqual([
      { line: 2, error: { code: 'BODY_MALFORMED', message: expect.stringMatching(/^the line is not valid JSON: /) } },
      { line: 4, error: { code: 'REQUEST_INVALID', message: 'url must use http or https, not ftp', details: [{ path: 'url', message: 'must use http or https, not ftp' }] } },
      { line: 5, error: { code: 'REQUEST_INVALID', message: 'timeoutMs must be an integer', details: [{ path: 'timeoutMs', message: 'must be an integer' }] } },
      { line: 6, error: { code: 'PAYLOAD_TOO_LARGE', message: 'the line has 337 bytes, more than 200 (limit maxNdjsonLineBytes)' } },
      { line: 7, error: { code: 'REQUEST_INVALID', message: '(root) must be an object', details: [{ path: '(root)', message: 'must be an object' }] } },
    ]);
    const envelopes = (await api.drain()).map((delivery) => parseEnvelope(delivery.payload));
    expect(envelopes.map((envelope) => envelope.id)).toEqual(ids);
    expect(envelopes.map((envelope) => envelope.request.url)).toEqual([`${OK}?n=1`, `${OK}?n=2`, `${OK}?n=3`]);
    expect(envelopes.every((envelope) => envelope.batchId === batchId)).toBe(true);
    const text = await api.app.metrics.metrics();
    expect(text).toMatch(/parc_api_ndjson_lines_total\{outcome="accepted",service="proxy-test"\} 3/);
    expect(text).toMatch(/parc_api_ndjson_lines_total\{outcome="rejected",service="proxy-test"\} 5/);
  });

  it('refuses lines whose method Parc does not perform, naming the field and the allowed methods', async () => {
    api = await buildTestApi();
    const allowed = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
    const body = [
      line({ url: OK, method: 'TRACE' }),
      line({ url: OK, method: 'CONNECT' }),
      line({ url: OK, method: 'post', body: 'x' }),
      line({ url: OK, method: 'OPTIONS' }),
    ].join('');
    const response = await postNdjson(api, body);
    expect(response.statusCode).toBe(202);
    const invalid = (message: string) => ({ code: 'REQUEST_INVALID', message: `method ${message}`, details: [{ path: 'method', message }] });
    expect(response.json().rejected).toEqual([
      { line: 1, error: invalid(`must be one of: ${allowed}`) },
      { line: 2, error: invalid(`must be one of: ${allowed}`) },
      { line: 3, error: invalid(`must be one of: ${allowed} (case-sensitive: POST, not post)`) },
    ]);
    const envelopes = (await api.drain()).map((delivery) => parseEnvelope(delivery.payload));
    expect(envelopes.map((envelope) => envelope.request.method)).toEqual(['OPTIONS']);
  });

  it('reads a body sent in many small chunks, lines split anywhere', async () => {
    api = await buildTestApi();
    const text = Array.from({ length: 50 }, (_, n) => line({ url: `${OK}?n=${n}` })).join('');
    const chunks = text.match(/[\s\S]{1,7}/g) ?? [];
    const response = await postNdjson(api, Readable.from(chunks));
    expect(response.statusCode).toBe(202);
    expect(response.json().ids).toHaveLength(50);
    const urls = (await api.drain()).map((delivery) => parseEnvelope(delivery.payload).request.url);
    expect(urls).toEqual(Array.from({ length: 50 }, (_, n) => `${OK}?n=${n}`));
  });

  it('accepts lines while the body is still streaming: in chunks by count, and by time when the client pauses', async () => {
    api = await buildTestApi({ ndjsonChunkSize: 3, ndjsonChunkMs: 20 });
    const stream = new PassThrough();
    const answer = postNdjson(api, stream);
    for (let n = 0; n < 7; n++) stream.write(line({ url: `${OK}?n=${n}` }));
    // Six lines go in two full chunks; the seventh waits for the timer, since the client paused.
    await waitFor(() => api.acceptCalls.length === 3);
    expect(api.acceptCalls.map((call) => call.count)).toEqual([3, 3, 1]);
    expect(await api.inboxWaiting()).toBe(7);
    stream.end(line({ url: `${OK}?n=7` }));
    const response = await answer;
    expect(response.json().ids).toHaveLength(8);
    expect(api.acceptCalls.map((call) => call.count)).toEqual([3, 3, 1, 1]);
  });

  it('takes the batch callback from Parc-Callback-Url and Parc-Callback-Headers; a line’s own callback wins', async () => {
    api = await buildTestApi();
    const response = await postNdjson(api, line({ url: OK }) + line({ url: OK, callback: { url: 'https://me.example.com/own' } }), {
      'parc-callback-url': 'https://me.example.com/batch',
      'parc-callback-headers': JSON.stringify({ 'x-token': 'abc' }),
    });
    expect(response.statusCode).toBe(202);
    const callbacks = (await api.drain()).map((delivery) => parseEnvelope(delivery.payload).callback);
    expect(callbacks).toEqual([{ url: 'https://me.example.com/batch', headers: { 'x-token': 'abc' } }, { url: 'https://me.example.com/own' }]);
  });

  it.each([
    {
      name: 'a callback URL that is not http(s)',
      headers: { 'parc-callback-url': 'ftp://me.example.com/' },
      details: [{ path: 'headers.parc-callback-url', message: 'must use http or https, not ftp' }],
    },
    {
      name: 'callback headers that are not JSON',
      headers: { 'parc-callback-url': 'https://me.example.com/', 'parc-callback-headers': '{x' },
      details: [{ path: 'headers.parc-callback-headers', message: 'must be a JSON object of header names to string values' }],
    },
    {
      name: 'a callback header that may not be sent',
      headers: { 'parc-callback-url': 'https://me.example.com/', 'parc-callback-headers': '{"Host":"x"}' },
      details: [
        { path: 'headers.parc-callback-headers.Host', message: 'is a hop-by-hop or framing header that the HTTP client sets itself; remove it' },
      ],
    },
    {
      name: 'callback headers without a callback URL',
      headers: { 'parc-callback-headers': '{}' },
      details: [{ path: 'headers.parc-callback-headers', message: 'needs parc-callback-url as well' }],
    },
  ] as { name: string; headers: Record<string, string>; details: object[] }[])('400 before reading any line for $name', async ({ headers, details }) => {
    api = await buildTestApi();
    const response = await postNdjson(api, line({ url: OK }), headers);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'REQUEST_INVALID', details });
    expect(api.acceptCalls).toEqual([]);
  });

  it('400 for a body without any request, and nothing enqueued', async () => {
    api = await buildTestApi();
    const response = await postNdjson(api, '\n \n');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('REQUEST_INVALID');
    expect(await api.inboxWaiting()).toBe(0);
  });

  it('stops reading after maxNdjsonLines requests and says so once', async () => {
    api = await buildTestApi({ limits: { maxNdjsonLines: 2 } });
    const response = await postNdjson(api, [1, 2, 3, 4].map((n) => line({ url: `${OK}?n=${n}` })).join(''));
    expect(response.statusCode).toBe(202);
    expect(response.json().ids).toHaveLength(2);
    expect(response.json().rejected).toEqual([
      {
        line: 3,
        error: {
          code: 'PAYLOAD_TOO_LARGE',
          message: 'the stream holds more than 2 requests (limit maxNdjsonLines); this line and the ones after it were not read',
        },
      },
    ]);
  });

  it('answers 503 with Retry-After and what was accepted when the queue fails mid-stream', async () => {
    api = await buildTestApi({ ndjsonChunkSize: 2, retryAfterSeconds: 3 });
    let writes = 0;
    api.beforeAccept = async () => {
      if (++writes === 2) throw new ParcError('QUEUE_UNAVAILABLE', 'Redis is down');
    };
    const response = await postNdjson(api, [1, 2, 3, 4, 5].map((n) => line({ url: `${OK}?n=${n}` })).join(''));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('3');
    const body = response.json();
    expect(body.error).toEqual({ code: 'QUEUE_UNAVAILABLE', message: 'Redis is down' });
    expect(body.accepted.ids).toHaveLength(2);
    expect(await api.inboxWaiting()).toBe(2);
  });

  it('answers 503 without `accepted` when the queue fails before anything was accepted', async () => {
    api = await buildTestApi();
    api.beforeAccept = async () => {
      throw new ParcError('QUEUE_UNAVAILABLE', 'Redis is down');
    };
    const response = await postNdjson(api, line({ url: OK }));
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: 'QUEUE_UNAVAILABLE', message: 'Redis is down' } });
  });
});

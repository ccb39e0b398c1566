import { parseEnvelope } from '@parc/envelope';
import { AUTH, INBOX, buildTestApi, postBatch, type TestApi } from './api.fixture';

const URL_A = 'https://api.example.com/a';

describe('POST /v1/requests (JSON batch)', () => {
  let api: TestApi;
  beforeEach(async () => (api = await buildTestApi()));
  afterEach(() => api.close());

  it('answers 202 with ids in input order and puts exactly those envelopes in the inbox, in one write', async () => {
    const requests = [
      { url: `${URL_A}?n=1` },
      { method: 'POST', url: `${URL_A}?n=2`, body: 'héllo', headers: { 'content-type': 'text/plain' } },
      { method: 'PUT', url: `${URL_A}?n=3`, bodyBase64: 'AAEC', timeoutMs: 5000, delayMs: 1000, deadlineMs: 60_000 },
    ];
    const response = await postBatch(api, { requests, metadata: { job: 7 } });
    expect(response.statusCode).toBe(202);
    const { batchId, ids } = response.json();
    expect(ids).toHaveLength(3);
    expect(api.acceptCalls).toEqual([{ inbox: INBOX, count: 3 }]);

    const envelopes = (await api.drain()).map((delivery) => parseEnvelope(delivery.payload));
    expect(envelopes.map((envelope) => envelope.id)).toEqual(ids);
    expect(envelopes.every((envelope) => envelope.batchId === batchId)).toBe(true);
    expect(envelopes.map((envelope) => envelope.request.url)).toEqual(requests.map((request) => request.url));
    expect(envelopes[0]?.request).toMatchObject({ method: 'GET', headers: {}, timeoutMs: 30_000 });
    expect(Buffer.from(envelopes[1]?.request.bodyBase64 ?? '', 'base64').toString()).toBe('héllo');
    expect(envelopes[2]).toMatchObject({ request: { method: 'PUT', bodyBase64: 'AAEC', timeoutMs: 5000 }, metadata: { job: 7 } });
    expect(Date.parse(envelopes[2]?.deadlineAt ?? '') - Date.parse(envelopes[2]?.acceptedAt ?? '')).toBe(60_000);
    expect(Date.parse(envelopes[2]?.notBefore ?? '') - Date.parse(envelopes[2]?.acceptedAt ?? '')).toBe(1000);
    expect(await api.ledger.status(ids[0])).toMatchObject({ id: ids[0], batchId, state: 'queued' });
  });

  it('accepts loopback host names in any spelling as written: the egress policy refuses them when called, not intake', async () => {
    // Which destinations may be reached is the caller's allow-list, which the proxy does not know;
    // these requests end destination_blocked (see @parc/egress), without retries.
    const urls = ['http://localhost.:8080/', 'http://foo.localhost./', 'http://LOCALHOST:8080/', 'http://[::1]:8080/', 'http://0x7f.1/'];
    const response = await postBatch(api, { requests: urls.map((url) => ({ url })) });
    expect(response.statusCode).toBe(202);
    const envelopes = (await api.drain()).map((delivery) => parseEnvelope(delivery.payload));
    expect(envelopes.map((envelope) => envelope.request.url)).toEqual(urls);
  });

  it('applies defaults, the batch callback and batch metadata under each item, the item winning', async () => {
    const response = await postBatch(api, {
      requests: [
        { url: URL_A, headers: { Authorization: 'Bearer item' }, retry: { jitter: 'none' }, metadata: { n: 1 } },
        { url: URL_A, method: 'GET', callback: { url: 'https://me.example.com/own' } },
      ],
      defaults: { method: 'POST', body: 'default', headers: { authorization: 'Bearer d', 'x-d': '1' }, retry: { maxAttempts: 2, retryOn: [503] } },
      callback: { url: 'https://me.example.com/batch' },
      metadata: { batch: true, n: 0 },
    });
    expect(response.statusCode).toBe(400);
    // The second item says GET: the default body cannot apply to it.
    expect(response.json().error.details).toEqual([{ index: 1, path: 'defaults.body', message: 'must be absent for GET requests' }]);

    const ok = await postBatch(api, {
      requests: [
        { url: URL_A, headers: { Authorization: 'Bearer item' }, retry: { jitter: 'none' }, metadata: { n: 1 } },
        { url: URL_A, method: 'DELETE', callback: { url: 'https://me.example.com/own' } },
      ],
      defaults: { method: 'POST', body: 'default', headers: { authorization: 'Bearer d', 'x-d': '1' }, retry: { maxAttempts: 2, retryOn: [503] } },
      callback: { url: 'https://me.example.com/batch' },
      metadata: { batch: true, n: 0 },
    });
    expect(ok.statusCode).toBe(202);
    const [first, second] = (await api.drain()).map((delivery) => parseEnvelope(delivery.payload));
    expect(first?.request).toMatchObject({ method: 'POST', headers: { 'x-d': '1', Authorization: 'Bearer item' } });
    expect(first?.request.headers).not.toHaveProperty('authorization');
    expect(first?.policy).toMatchObject({ maxAttempts: 2, retryOnStatuses: [503], jitter: 'none' });
    expect(first?.callback).toEqual({ url: 'https://me.example.com/batch' });
    expect(first?.metadata).toEqual({ batch: true, n: 1 });
    expect(second?.request.method).toBe('DELETE');
    expect(second?.callback).toEqual({ url: 'https://me.example.com/own' });
  });

  it('counts accepted requests by key name and format, and batches, on the app registry', async () => {
    await postBatch(api, { requests: [{ url: URL_A }, { url: URL_A }] });
    await postBatch(api, { requests: [{ url: 'nope' }] });
    const text = await api.app.metrics.metrics();
    expect(text).toMatch(/parc_api_requests_accepted_total\{api_key="alice",format="json",service="proxy-test"\} 2/);
    expect(text).toMatch(/parc_api_batches_accepted_total\{format="json",service="proxy-test"\} 1/);
    expect(text).toMatch(/parc_api_requests_rejected_total\{reason="request_invalid",format="json",service="proxy-test"\} 1/);
    expect(text).toMatch(/parc_api_intake_duration_seconds_count\{[^}]*format="json"[^}]*\} 1/);
  });

  it('refuses a body that is not UTF-8, or not JSON, with BODY_MALFORMED', async () => {
    const headers = { ...AUTH, 'content-type': 'application/json' };
    const latin1 = Buffer.concat([Buffer.from('{"requests":[{"url":"https://x.example/'), Buffer.from([0xe9]), Buffer.from('"}]}')]);
    const cases = [
      { name: 'invalid UTF-8', payload: latin1, message: 'the body is not valid UTF-8' },
      { name: 'truncated JSON', payload: '{"requests":[', message: expect.stringMatching(/^the body is not valid JSON: /) },
      { name: 'empty body', payload: '', message: 'the body is empty; send a JSON object' },
      { name: 'a __proto__ key', payload: '{"requests":[],"__proto__":{"x":1}}', message: 'the body must not contain "__proto__" keys' },
    ];
    for (const { name, payload, message } of cases) {
      const response = await api.app.inject({ method: 'POST', url: '/v1/requests', headers, payload });
      expect({ name, status: response.statusCode, body: response.json() }).toEqual({
        name,
        status: 400,
        body: { error: { code: 'BODY_MALFORMED', message } },
      });
    }
    expect(api.acceptCalls).toEqual([]);
  });
});

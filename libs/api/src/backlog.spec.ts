import { ParcError } from '@parc/errors';
import { buildTestApi, postBatch, postNdjson, type TestApi } from './api.fixture';

const BATCH = { requests: [{ url: 'https://api.example.com/a' }, { url: 'https://api.example.com/b' }] };

describe('backpressure', () => {
  let api: TestApi;
  let clock = 1_000_000;
  let backlog = 0;
  /** Entries ever added to the inbox: with the backlog, it says how much drained between readings. */
  let added = 0;
  let readings = 0;
  const build = (overrides = {}) =>
    buildTestApi({
      now: () => clock,
      inboxBacklog: async () => (readings++, { waiting: backlog, inFlight: 0, added }),
      backlogWatermark: 100,
      backlogRefreshMs: 250,
      retryAfterSeconds: 7,
      ...overrides,
    });
  beforeEach(() => {
    backlog = 0;
    added = 0;
    readings = 0;
  });
  afterEach(() => api.close());

  it('answers 503 above the watermark, for both formats, enqueueing nothing; with nothing draining, Retry-After is the maximum', async () => {
    api = await build({ retryAfterMaxSeconds: 45 });
    backlog = 150;
    clock += 1000;
    for (const response of [await postBatch(api, BATCH), await postNdjson(api, '{"url":"https://api.example.com/a"}\n')]) {
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('45');
      expect(response.json()).toEqual({
        error: { code: 'BACKLOG_FULL', message: 'the inbox holds 150 requests, at or above the watermark of 100 (draining at not measured yet); retry in 45 s' },
      });
    }
    expect(api.acceptCalls).toEqual([]);
    expect(await api.app.metrics.metrics()).toMatch(/parc_api_requests_rejected_total\{reason="backlog_full",format="json"/);
  });

  it('reads the backlog at most once per refresh interval, counting its own intake in between', async () => {
    api = await build({ backlogWatermark: 5 });
    expect((await postBatch(api, BATCH)).statusCode).toBe(202);
    expect((await postBatch(api, BATCH)).statusCode).toBe(202);
    expect(readings).toBe(1);
    // 4 accepted since the reading (which said 0): one more batch reaches the watermark of 5.
    expect((await postBatch(api, BATCH)).statusCode).toBe(202);
    expect((await postBatch(api, BATCH)).statusCode).toBe(503);
    clock += 250;
    backlog = 0; // proxy-store drained the inbox
    expect((await postBatch(api, BATCH)).statusCode).toBe(202);
    expect(readings).toBe(2);
  });

  it('computes Retry-After from the backlog and the rate at which the inbox drains', async () => {
    api = await build({ backlogWatermark: 1_000, retryAfterSeconds: 1, retryAfterMaxSeconds: 60 });
    const retryAfter = async (): Promise<string | undefined> => {
      clock += 1_000;
      const response = await postBatch(api, BATCH);
      expect(response.statusCode).toBe(503);
      return response.headers['retry-after'] as string | undefined;
    };
    backlog = 3_000;
    added = 3_000;
    expect(await retryAfter()).toBe('60'); // one reading: no rate yet
    backlog = 2_900; // 100 left in the second since
    expect(await retryAfter()).toBe('21'); // (2,900 − 800) / 100 per second
    backlog = 2_400; // 500 left: the rate rises (smoothed over 3 s: 213/s)
    expect(await retryAfter()).toBe('8'); // (2,400 − 800) / 213
    backlog = 1_200;
    added = 3_500; // 500 more added while 1,700 left: smoothed 635/s
    expect(await retryAfter()).toBe('1'); // (1,200 − 800) / 635 = 0.6, at least retryAfterSeconds
    backlog = 2_000; // 800 came back (a reclaimed batch), nothing left: the rate decays to 455/s
    expect(await retryAfter()).toBe('3'); // (2,000 − 800) / 455
  });

  it('keeps accepting on the last reading when the backlog cannot be read', async () => {
    api = await build({
      inboxBacklog: async () => {
        throw new Error('redis down');
      },
    });
    expect((await postBatch(api, BATCH)).statusCode).toBe(202);
  });

  it('answers 503 with Retry-After when the store is unavailable', async () => {
    api = await build();
    api.beforeAccept = async () => {
      throw new ParcError('QUEUE_UNAVAILABLE', 'Redis at redis://proxy:6379 refused the connection');
    };
    const response = await postBatch(api, BATCH, { 'idempotency-key': 'k1' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.json().error.code).toBe('QUEUE_UNAVAILABLE');
    // The key was released: the retry is accepted once the store is back.
    api.beforeAccept = async () => undefined;
    expect((await postBatch(api, BATCH, { 'idempotency-key': 'k1' })).statusCode).toBe(202);
  });

  it('answers 500 INTERNAL_ERROR in the house body for unexpected failures', async () => {
    api = await build();
    api.beforeAccept = async () => {
      throw new TypeError('boom');
    };
    const response = await postBatch(api, BATCH);
    expect(response.statusCode).toBe(500);
    expect(response.json().error).toEqual({ code: 'INTERNAL_ERROR', message: expect.stringMatching(/^unexpected error while serving request /) });
  });
});

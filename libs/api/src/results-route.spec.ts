import { CALLBACKS, AUTH, buildTestApi, postBatch, postNdjson, type TestApi } from './api.fixture';

describe('GET /v1/batches/:id/results', () => {
  let api: TestApi;
  afterEach(() => api.close());

  const finish = (id: string, batchId: string, status: 'succeeded' | 'failed' = 'succeeded') =>
    api.ledger.finalize([{ id, batchId, status, attempts: 1, result: JSON.stringify({ id, batchId, status }) }], CALLBACKS);
  const results = (batchId: string, query = '') => api.app.inject({ method: 'GET', url: `/v1/batches/${batchId}/results${query}`, headers: AUTH });
  const lines = (body: string): { id: string }[] => body.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { id: string });

  it('streams the finished results as NDJSON in the order they finished, resumable after any line', async () => {
    api = await buildTestApi();
    const { batchId, ids } = (await postBatch(api, { requests: [1, 2, 3].map((n) => ({ url: `https://api.example.com/${n}` })) })).json() as { batchId: string; ids: string[] };
    const [a, b, c] = ids as [string, string, string];
    await finish(c, batchId);
    await finish(a, batchId, 'failed');
    const partial = await results(batchId);
    expect(partial.statusCode).toBe(200);
    expect(partial.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(lines(partial.body).map((r) => r.id)).toEqual([c, a]);
    await finish(b, batchId);
    expect(lines((await results(batchId, `?after=${c}`)).body).map((r) => r.id)).toEqual([a, b]);
    expect((await results(batchId, `?after=${b}`)).body).toBe('');
  });

  it('with wait=true stays open until the batch is complete', async () => {
    api = await buildTestApi({ resultsPollMs: 10 });
    const { batchId, ids } = (await postBatch(api, { requests: [1, 2].map((n) => ({ url: `https://api.example.com/${n}` })) })).json() as { batchId: string; ids: string[] };
    await finish(ids[0] as string, batchId);
    const waiting = results(batchId, '?wait=true');
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    await finish(ids[1] as string, batchId);
    expect(lines((await waiting).body).map((r) => r.id)).toEqual(ids);
  });

  it('serves requests submitted without any callback, NDJSON ones too', async () => {
    api = await buildTestApi();
    const { batchId, ids } = (await postNdjson(api, '{"url":"https://api.example.com/1"}\n{"url":"https://api.example.com/2"}\n')).json() as { batchId: string; ids: string[] };
    for (const id of ids) await finish(id, batchId);
    expect(lines((await results(batchId, '?wait=true')).body).map((r) => r.id)).toEqual(ids);
  });

  it('goes on past a page whose earliest results are past their retention, leaving only those out', async () => {
    api = await buildTestApi();
    const { batchId, ids } = (await postBatch(api, { requests: Array.from({ length: 600 }, (_, n) => ({ url: `https://api.example.com/${n}` })) })).json() as { batchId: string; ids: string[] };
    await api.ledger.finalize(ids.map((id) => ({ id, batchId, status: 'succeeded' as const, attempts: 1, result: JSON.stringify({ id }) })), CALLBACKS);
    // The first ten requests' records expired (the Redis ledger's TTL) while the batch's did not:
    // the first page of 500 holds 490 results, and is still not the last.
    const expired = new Set(ids.slice(0, 10));
    const results500 = api.ledger.results.bind(api.ledger);
    api.ledger.results = async (batch, cursor, limit) => {
      const page = await results500(batch, cursor, limit);
      return { ...page, results: page.results.filter((r) => !expired.has(r.id)) };
    };
    expect(lines((await results(batchId)).body).map((r) => r.id)).toEqual(ids.slice(10));
  });

  it('says so when the batch is unknown or past its retention, and when a cursor is not one of its lines', async () => {
    api = await buildTestApi();
    const unknown = await results('01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'UNKNOWN_ID', message: expect.stringContaining('retention') as unknown } });
    const { batchId, ids } = (await postBatch(api, { requests: [{ url: 'https://api.example.com/1' }] })).json() as { batchId: string; ids: string[] };
    const notFinished = await results(batchId, `?after=${ids[0] as string}`);
    expect(notFinished.statusCode).toBe(404);
    expect(notFinished.json()).toMatchObject({ error: { message: expect.stringContaining('to resume after') as unknown } });
  });
});

describe('the batch callback at intake', () => {
  let api: TestApi;
  afterEach(() => api.close());

  it('takes batchCallback in a JSON batch or Parc-Batch-Callback-Url, and calls back once when the batch completes', async () => {
    api = await buildTestApi();
    const { batchId, ids } = (await postBatch(api, { requests: [{ url: 'https://api.example.com/1' }], batchCallback: { url: 'https://me.example.com/done' } })).json() as { batchId: string; ids: string[] };
    await api.ledger.finalize([{ id: ids[0] as string, batchId, status: 'succeeded', attempts: 1, result: '{}' }], CALLBACKS);
    const jobs = await api.drain(CALLBACKS);
    expect(jobs.map((job) => JSON.parse(job.payload) as { id: string; url: string })).toEqual([expect.objectContaining({ id: `${batchId}.completed`, url: 'https://me.example.com/done' })]);
    const ndjson = (await postNdjson(api, '{"url":"https://api.example.com/2"}\n', { 'parc-batch-callback-url': 'https://me.example.com/ndjson-done' })).json() as { batchId: string; ids: string[] };
    await api.ledger.finalize([{ id: ndjson.ids[0] as string, batchId: ndjson.batchId, status: 'failed', attempts: 1, result: '{}', reason: 'attempts_exhausted' }], CALLBACKS);
    const [job] = (await api.drain(CALLBACKS)).map((d) => JSON.parse(d.payload) as { url: string; body: string });
    expect(job?.url).toBe('https://me.example.com/ndjson-done');
    expect(JSON.parse(job?.body ?? '{}')).toMatchObject({ type: 'batch.completed', data: { batchId: ndjson.batchId, total: 1, counts: { succeeded: 0, failed: 1 }, reasons: { attempts_exhausted: 1 } } });
  });

  it('refuses a batch callback the egress policy or the schema refuses, naming where it came from', async () => {
    api = await buildTestApi();
    const both = await postBatch(api, { requests: [{ url: 'https://api.example.com/1' }], batchCallback: { url: 'https://me.example.com/a' } }, { 'parc-batch-callback-url': 'https://me.example.com/b' });
    expect(both.statusCode).toBe(400);
    expect(both.json()).toMatchObject({ error: { details: [{ path: 'headers.parc-batch-callback-url' }] } });
    const notUrl = await postNdjson(api, '{"url":"https://api.example.com/2"}\n', { 'parc-batch-callback-url': 'not a url' });
    expect(notUrl.statusCode).toBe(400);
    expect(JSON.stringify(notUrl.json())).toContain('parc-batch-callback-url');
    expect(await api.inboxWaiting()).toBe(0);
  });
});

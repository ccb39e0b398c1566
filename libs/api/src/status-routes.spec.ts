import { CALLBACKS, AUTH, buildTestApi, postBatch, type TestApi } from './api.fixture';

const UNKNOWN = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('request and batch status, cancellation', () => {
  let api: TestApi;
  let batchId: string;
  let ids: string[];
  beforeEach(async () => {
    api = await buildTestApi();
    const response = await postBatch(api, { requests: [{ url: 'https://api.example.com/a' }, { url: 'https://api.example.com/b' }] });
    ({ batchId, ids } = response.json());
  });
  afterEach(() => api.close());

  const get = (url: string) => api.app.inject({ method: 'GET', url, headers: AUTH });
  const del = (url: string) => api.app.inject({ method: 'DELETE', url, headers: AUTH });

  /** The pipeline finishing a request, as the outgoing stage records it. */
  async function finish(id: string, status: 'succeeded' | 'failed'): Promise<object> {
    const result = { id, batchId, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', status, request: { method: 'GET', url: 'https://api.example.com/a', headers: {}, timeoutMs: 30000 }, attempts: [{ attempt: 1, startedAt: '2025-01-01T00:00:00.000Z', durationMs: 12, status: 200 }], acceptedAt: '2025-01-01T00:00:00.000Z', completedAt: '2025-01-01T00:00:01.000Z' };
    await api.ledger.finalize([{ id, batchId, status, attempts: 1, result: JSON.stringify(result) }], CALLBACKS);
    return result;
  }

  it('GET /v1/requests/:id reports a queued request, then its final result', async () => {
    const id = ids[0] as string;
    const queued = await get(`/v1/requests/${id}`);
    expect(queued.statusCode).toBe(200);
    expect(queued.json()).toEqual({ id, batchId, state: 'queued', attempts: 0, cancelRequested: false });
    await api.ledger.advance([{ id, batchId, state: 'in_flight', attempt: 1 }]);
    expect((await get(`/v1/requests/${id}`)).json()).toMatchObject({ state: 'in_flight', attempts: 0 });
    const result = await finish(id, 'succeeded');
    expect((await get(`/v1/requests/${id}`)).json()).toEqual({ id, batchId, state: 'succeeded', attempts: 1, cancelRequested: false, result });
  });

  it('GET /v1/batches/:id counts by state', async () => {
    await finish(ids[1] as string, 'failed');
    const response = await get(`/v1/batches/${batchId}`);
    expect(response.json()).toEqual({
      batchId,
      total: 2,
      counts: { queued: 1, in_flight: 0, waiting_retry: 0, succeeded: 0, failed: 1 },
      cancelRequested: false,
      complete: false,
      reasons: {},
      firstFinishedAt: expect.stringMatching(/^\d{4}-/) as unknown,
      lastFinishedAt: expect.stringMatching(/^\d{4}-/) as unknown,
    });
    await finish(ids[0] as string, 'succeeded');
    // A JSON batch is sealed when it is accepted: its last final result completes it.
    expect((await get(`/v1/batches/${batchId}`)).json()).toMatchObject({ complete: true, counts: { succeeded: 1, failed: 1 } });
  });

  it.each([
    { name: 'unknown request', url: `/v1/requests/${UNKNOWN}`, method: 'GET' },
    { name: 'unknown batch', url: `/v1/batches/${UNKNOWN}`, method: 'GET' },
    { name: 'cancel of an unknown request', url: `/v1/requests/${UNKNOWN}`, method: 'DELETE' },
    { name: 'cancel of an unknown batch', url: `/v1/batches/${UNKNOWN}`, method: 'DELETE' },
  ] as const)('404 UNKNOWN_ID for $name', async ({ url, method }) => {
    const response = await api.app.inject({ method, url, headers: AUTH });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('UNKNOWN_ID');
  });

  it('400 for an id that is not a ULID', async () => {
    const response = await get('/v1/requests/not-an-id');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([
      { path: 'params.id', message: 'must be a ULID (26 characters of Crockford base32, e.g. 01ARZ3NDEKTSV4RRFFQ69G5FAV)' },
    ]);
  });

  it('DELETE /v1/requests/:id records the cancellation and answers 202 with the status', async () => {
    const id = ids[0] as string;
    const response = await del(`/v1/requests/${id}`);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ id, batchId, state: 'queued', attempts: 0, cancelRequested: true });
    expect(await api.ledger.cancelled([{ id, batchId }])).toEqual(new Set([id]));
    expect(await api.ledger.cancellationsAfter(undefined, 10)).toEqual([{ position: '0', requestId: id, batchId }]);
  });

  it('DELETE of a finished request answers 409 ALREADY_FINISHED and records nothing', async () => {
    const id = ids[0] as string;
    await finish(id, 'succeeded');
    const response = await del(`/v1/requests/${id}`);
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toEqual({ code: 'ALREADY_FINISHED', message: `request ${id} already finished (succeeded); there is nothing to cancel` });
    expect(await api.ledger.cancellationsAfter(undefined, 10)).toEqual([]);
  });

  it('DELETE /v1/batches/:id cancels the batch; 409 once every request finished', async () => {
    await finish(ids[0] as string, 'succeeded');
    const response = await del(`/v1/batches/${batchId}`);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ batchId, total: 2, cancelRequested: true });
    expect(await api.ledger.cancellationsAfter(undefined, 10)).toEqual([{ position: '0', batchId }]);

    await finish(ids[1] as string, 'failed');
    const done = await del(`/v1/batches/${batchId}`);
    expect(done.statusCode).toBe(409);
    expect(done.json().error.code).toBe('ALREADY_FINISHED');
  });
});

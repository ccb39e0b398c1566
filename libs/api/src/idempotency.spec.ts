import { PassThrough } from 'node:stream';
import { OTHER_SECRET, buildTestApi, postBatch, postNdjson, type TestApi } from './api.fixture';

const BATCH = { requests: [{ url: 'https://api.example.com/a' }, { url: 'https://api.example.com/b' }] };
const OTHER_BATCH = { requests: [{ url: 'https://api.example.com/c' }] };
const NDJSON = '{"url":"https://api.example.com/a"}\n{"url":"https://api.example.com/b"}\nbad\n';
const KEY = { 'idempotency-key': 'order-42' };

/** A promise with its resolver, to hold a submission in the middle of being accepted. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('Idempotency-Key', () => {
  let api: TestApi;
  beforeEach(async () => (api = await buildTestApi()));
  afterEach(() => api.close());

  it('answers a repeat with the same body with the first answer, enqueueing nothing', async () => {
    const first = await postBatch(api, BATCH, KEY);
    const repeat = await postBatch(api, BATCH, KEY);
    expect(first.statusCode).toBe(202);
    expect(repeat.statusCode).toBe(202);
    expect(repeat.body).toBe(first.body);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await api.inboxWaiting()).toBe(2);
  });

  it('answers 422 to the same key with another body', async () => {
    await postBatch(api, BATCH, KEY);
    const other = await postBatch(api, OTHER_BATCH, KEY);
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    expect(await api.inboxWaiting()).toBe(2);
  });

  it('gives concurrent repeats of a JSON batch one batch and one answer, without 409', async () => {
    const hold = deferred();
    api.beforeAccept = () => {
      api.beforeAccept = async () => undefined;
      return hold.promise;
    };
    const first = postBatch(api, BATCH, KEY);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const concurrent = await postBatch(api, BATCH, KEY);
    expect(concurrent.statusCode).toBe(202);
    hold.resolve();
    const held = await first;
    expect(held.statusCode).toBe(202);
    expect(held.headers['idempotent-replayed']).toBe('true');
    expect(held.body).toBe(concurrent.body);
    expect(await api.inboxWaiting()).toBe(2);
  });

  it('answers a retry with the stored answer when the first was accepted but never answered', async () => {
    api.afterAccept = async () => {
      api.afterAccept = async () => undefined;
      throw new Error('the proxy died after the accept, before its answer');
    };
    expect((await postBatch(api, BATCH, KEY)).statusCode).toBe(500);
    const retry = await postBatch(api, BATCH, KEY);
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const inbox = await api.drain();
    expect(inbox).toHaveLength(2);
    const { batchId, ids } = retry.json();
    expect(ids).toEqual(inbox.map((delivery) => delivery.key));
    expect(await api.ledger.batch(batchId)).toMatchObject({ total: 2 });
  });

  it('scopes keys per API key: the same key from another API key is another submission', async () => {
    await postBatch(api, BATCH, KEY);
    const other = await postBatch(api, BATCH, { ...KEY, authorization: `Bearer ${OTHER_SECRET}` });
    expect(other.statusCode).toBe(202);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(await api.inboxWaiting()).toBe(4);
  });

  it('frees the key when the submission is refused, so a corrected body may use it', async () => {
    const invalid = await postBatch(api, { requests: [{ url: 'nope' }] }, KEY);
    expect(invalid.statusCode).toBe(400);
    expect((await postBatch(api, BATCH, KEY)).statusCode).toBe(202);
  });

  it('replays an NDJSON stream with the same body and headers; refuses another body with 422', async () => {
    const first = await postNdjson(api, NDJSON, KEY);
    expect(first.statusCode).toBe(202);
    const repeat = await postNdjson(api, NDJSON, KEY);
    expect(repeat.body).toBe(first.body);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    const otherBody = await postNdjson(api, '{"url":"https://api.example.com/z"}\n', KEY);
    expect(otherBody.statusCode).toBe(422);
    const otherCallback = await postNdjson(api, NDJSON, { ...KEY, 'parc-callback-url': 'https://me.example.com/cb' });
    expect(otherCallback.statusCode).toBe(422);
    expect(api.acceptCalls).toHaveLength(1);
    expect(await api.inboxWaiting()).toBe(2);
  });

  it('answers 409 to a repeat of an NDJSON stream still being read, for as long as its holder renews the lock', async () => {
    await api.close();
    api = await buildTestApi({ idempotencyLockMs: 150 });
    const stream = new PassThrough();
    const first = postNdjson(api, stream, KEY);
    stream.write('{"url":"https://api.example.com/a"}\n');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const concurrent = await postNdjson(api, NDJSON, KEY);
    expect(concurrent.statusCode).toBe(409);
    expect(concurrent.json().error.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    const batch = await postBatch(api, BATCH, KEY);
    expect(batch.statusCode).toBe(409);
    stream.end();
    expect((await first).statusCode).toBe(202);
  });
});

import { newUlid, parseEnvelope } from '@parc/envelope';
import { PassThrough } from 'node:stream';
import { ParcError } from '@parc/errors';
import type { AcceptedRequest, StreamPosition } from '@parc/store';
import { INBOX, buildTestApi, postBatch, postNdjson, type TestApi } from './api.fixture';
import { LineDigest } from './intake/line-digest';

const KEY = { 'idempotency-key': 'order-42' };
/** The key as the API scopes it (API key `alice`). */
const SCOPED_KEY = 'alice:order-42';
const url = (n: number): string => `https://api.example.com/r?n=${n}`;
const LINES = [1, 2, 'bad', 4, 5, 6, 7].map((n) => (typeof n === 'number' ? JSON.stringify({ url: url(n) }) : n));
const BODY = LINES.map((line) => `${line}\n`).join('');

/** Where a stream of `LINES` is after `count` lines, as the session records it. */
function positionAfter(count: number): StreamPosition {
  const digest = new LineDigest();
  LINES.slice(0, count).forEach((text, i) => digest.add({ number: i + 1, bytes: Buffer.from(text) }));
  return digest.position();
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Idempotency-Key: an NDJSON stream whose holder died or failed part-way', () => {
  let api: TestApi;
  afterEach(() => api.close());

  /** A holder that accepted lines 1–2 and 4–5 (line 3 is invalid) in two chunks, then died. */
  async function deadHolder(): Promise<{ batchId: string; ids: string[] }> {
    const store = api.backend.idempotency();
    expect(await store.claimStream(SCOPED_KEY, 'dead-proxy', 100)).toEqual({ kind: 'claimed' });
    const batchId = newUlid(Date.now());
    const chunk = (lines: number[]): AcceptedRequest[] => lines.map((line) => ({ id: `dead-${line}`, batchId, payload: LINES[line - 1] ?? '' }));
    for (const [lines, through] of [[[1, 2], 2], [[4, 5], 5]] as const) {
      const guard = { kind: 'stream', key: SCOPED_KEY, owner: 'dead-proxy', batchId, position: positionAfter(through), ttlMs: 60_000 } as const;
      expect(await api.ledger.accept(INBOX, chunk([...lines]), guard)).toEqual({ kind: 'accepted' });
    }
    await delay(250);
    return { batchId, ids: ['dead-1', 'dead-2', 'dead-4', 'dead-5'] };
  }

  it('resumes it: the same batch, the ids accepted before first and unchanged, the rest accepted once', async () => {
    api = await buildTestApi({ ndjsonChunkSize: 2 });
    const dead = await deadHolder();
    const retry = await postNdjson(api, BODY, KEY);
    expect(retry.statusCode).toBe(202);
    const { batchId, ids, rejected } = retry.json();
    expect(batchId).toBe(dead.batchId);
    expect(ids).toHaveLength(6);
    expect(ids.slice(0, 4)).toEqual(dead.ids);
    expect(rejected).toEqual([{ line: 3, error: { code: 'BODY_MALFORMED', message: expect.stringMatching(/^the line is not valid JSON/) } }]);
    const inbox = await api.drain();
    expect(inbox.map((delivery) => delivery.key)).toEqual(ids);
    expect(inbox.slice(4).map((delivery) => parseEnvelope(delivery.payload).request.url)).toEqual([url(6), url(7)]);
    expect(await api.ledger.batch(batchId)).toMatchObject({ total: 6 });
    const repeat = await postNdjson(api, BODY, KEY);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.body).toBe(retry.body);
  });

  it('refuses another body with 422, accepting nothing, and still resumes the same body afterwards', async () => {
    api = await buildTestApi({ ndjsonChunkSize: 2 });
    await deadHolder();
    const otherBody = BODY.replace(url(2), url(20));
    const other = await postNdjson(api, otherBody, KEY);
    expect(other.statusCode).toBe(422);
    expect(other.json()).toEqual({ error: { code: 'IDEMPOTENCY_KEY_MISMATCH', message: expect.any(String) } });
    const shorter = await postNdjson(api, LINES.slice(0, 3).join('\n'), KEY);
    expect(shorter.statusCode).toBe(422);
    const batch = await postBatch(api, { requests: [{ url: url(1) }] }, KEY);
    expect(batch.statusCode).toBe(422);
    expect(await api.inboxWaiting()).toBe(4);
    const retry = await postNdjson(api, BODY, KEY);
    expect(retry.statusCode).toBe(202);
    expect(retry.json().ids).toHaveLength(6);
    expect(await api.inboxWaiting()).toBe(6);
  });

  it('resumes a stream whose write failed part-way: the retry completes the same batch', async () => {
    api = await buildTestApi({ ndjsonChunkSize: 2 });
    let writes = 0;
    api.beforeAccept = async () => {
      if (++writes === 2) throw new ParcError('QUEUE_UNAVAILABLE', 'Redis is down');
    };
    const failed = await postNdjson(api, BODY, KEY);
    expect(failed.statusCode).toBe(503);
    const { accepted } = failed.json();
    expect(accepted.ids).toHaveLength(2);
    const retry = await postNdjson(api, BODY, KEY);
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const { batchId, ids } = retry.json();
    expect(batchId).toBe(accepted.batchId);
    expect(ids.slice(0, 2)).toEqual(accepted.ids);
    expect(ids).toHaveLength(6);
    expect((await api.drain()).map((delivery) => delivery.key)).toEqual(ids);
  });

  it('stops a holder that lost its lock: its next chunk writes nothing and it answers 409 with what it had accepted', async () => {
    api = await buildTestApi({ ndjsonChunkSize: 1, idempotencyLockMs: 100 });
    const store = api.backend.idempotency();
    store.renewStream = async () => {
      throw new Error('the store is unreachable');
    };
    const stream = new PassThrough();
    const answer = postNdjson(api, stream, KEY);
    stream.write(`${LINES[0]}\n`);
    while (api.acceptCalls.length < 1) await delay(5);
    await delay(250);
    const takeover = await store.claimStream(SCOPED_KEY, 'another-proxy', 10_000);
    expect(takeover).toMatchObject({ kind: 'claimed', resume: { line: 1, ids: [expect.any(String)] } });
    stream.end(`${LINES[1]}\n`);
    const response = await answer;
    expect(response.statusCode).toBe(409);
    const body = response.json();
    expect(body.error.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(body.accepted.ids).toEqual(takeover.kind === 'claimed' ? takeover.resume?.ids : []);
    expect(await api.inboxWaiting()).toBe(1);
  });
});

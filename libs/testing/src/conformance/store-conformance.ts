import { randomBytes } from 'node:crypto';
import type { Delivery, QueueBackend } from '@parc/queue';
import type { BatchGuard, DeadLetterStore, DecisionLog, IdempotencyStore, ParcRegistry, RecentBatch, RequestLedger, StreamGuard } from '@parc/store';
import { delay, waitFor } from './wait-for';

/** The stores of one backend, as the store conformance suite uses them. */
export interface StoreSet {
  readonly backend: QueueBackend;
  readonly ledger: RequestLedger;
  readonly idempotency: IdempotencyStore;
  readonly deadLetters: DeadLetterStore;
  readonly decisionLog: DecisionLog;
  readonly parcRegistry: ParcRegistry;
}

export interface StoreConformanceTarget<Stores extends StoreSet = StoreSet> {
  readonly name: string;
  /** Fresh clients of the backend under test; the suite closes `backend` after each test. */
  create(): Promise<Stores> | Stores;
  /**
   * A ledger on `stores.backend` in a key space of its own, whose records expire `retentionMs`
   * after their last change: its ledger-wide views (`recentBatches`) see only the test's batches,
   * and expiry can be tested. Absent where `stores.ledger` is fresh with each `create` and never
   * expires records (memory): the suite uses that ledger then, and leaves expiry untested.
   */
  readonly expiringLedger?: (stores: Stores, retentionMs: number) => RequestLedger;
}

const unique = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

/**
 * The contract of the store ports (`@parc/store`) for every backend: the ledger's atomic accept,
 * monotonic transitions, finalise-once with its callback, cancellation flags and log; idempotency
 * keys (a batch accepted with its answer in one step, stream locks that expire, fenced writes and
 * resumable progress); dead letters with replay.
 */
export function describeStoreConformance<Stores extends StoreSet>(target: StoreConformanceTarget<Stores>): void {
  describe(`store conformance: ${target.name}`, () => {
    let stores: Stores;
    let queue: string;

    beforeEach(async () => {
      stores = await target.create();
      queue = unique('q');
    });
    afterEach(() => stores.backend.close());

    const drain = async (count: number): Promise<Delivery[]> => {
      const got: Delivery[] = [];
      const consumer = await stores.backend.consume({ queue, group: 'g', batchSize: 100, handler: async (b) => void got.push(...b) });
      await waitFor(`${count} messages on ${queue}`, () => got.length >= count);
      await delay(100);
      await consumer.close();
      return got;
    };

    it('accepts requests into the inbox and records them as queued, once', async () => {
      const batchId = unique('b');
      const firstId = unique('r0');
      const requests = [firstId, unique('r1'), unique('r2')].map((id, i) => ({ id, batchId, payload: `envelope-${i}` }));
      await stores.ledger.accept(queue, requests);
      await stores.ledger.accept(queue, requests.slice(0, 1)); // a repeat is ignored entirely
      const inbox = await drain(3);
      expect(inbox.map((d) => [d.payload, d.key])).toEqual(requests.map((r) => [r.payload, r.id]));
      expect(await stores.ledger.status(firstId)).toMatchObject({ batchId, state: 'queued', attempts: 0, cancelRequested: false });
      expect(await stores.ledger.batch(batchId)).toMatchObject({ total: 3, counts: { queued: 3, in_flight: 0, waiting_retry: 0, succeeded: 0, failed: 0 } });
      expect(await stores.ledger.status(unique('unknown'))).toBeUndefined();
      expect(await stores.ledger.batch(unique('unknown'))).toBeUndefined();
    });

    it('moves requests forward only, ignoring stale and unknown transitions', async () => {
      const batchId = unique('b');
      const id = unique('r');
      await stores.ledger.accept(queue, [{ id, batchId, payload: 'e' }]);
      await stores.ledger.advance([{ id, batchId, state: 'in_flight', attempt: 1 }]);
      expect(await stores.ledger.status(id)).toMatchObject({ state: 'in_flight', attempts: 0 });
      await stores.ledger.advance([
        { id, batchId, state: 'waiting_retry', attempt: 1 },
        { id, batchId, state: 'in_flight', attempt: 1 }, // late duplicate
        { id: unique('unknown'), batchId, state: 'in_flight', attempt: 1 },
      ]);
      expect(await stores.ledger.status(id)).toMatchObject({ state: 'waiting_retry', attempts: 1 });
      await stores.ledger.advance([{ id, batchId, state: 'in_flight', attempt: 2 }]);
      expect(await stores.ledger.status(id)).toMatchObject({ state: 'in_flight', attempts: 1 });
      expect((await stores.ledger.batch(batchId))?.counts).toEqual({ queued: 0, in_flight: 1, waiting_retry: 0, succeeded: 0, failed: 0 });
    });

    it('finalises a request once and enqueues its callback with it', async () => {
      const batchId = unique('b');
      const [a, b] = [unique('a'), unique('b')];
      await stores.ledger.accept(unique('inbox'), [a, b].map((id) => ({ id, batchId, payload: 'e' })));
      const record = (id: string, status: 'succeeded' | 'failed', result: string, callback?: string) =>
        callback === undefined ? { id, batchId, status, attempts: 2, result } : { id, batchId, status, attempts: 2, result, callback };
      const first = await stores.ledger.finalize([record(a, 'succeeded', '{"r":1}', 'job-a'), record(b, 'failed', '{"r":2}')], queue);
      const second = await stores.ledger.finalize([record(a, 'failed', '{"r":3}', 'job-a-again')], queue);
      expect([...first].sort()).toEqual([a, b].sort());
      expect([...second]).toEqual([]);
      expect(await stores.ledger.status(a)).toMatchObject({ state: 'succeeded', attempts: 2, result: '{"r":1}' });
      expect(await stores.ledger.batch(batchId)).toMatchObject({ total: 2, counts: { queued: 0, succeeded: 1, failed: 1 } });
      await stores.ledger.advance([{ id: a, batchId, state: 'in_flight', attempt: 5 }]);
      expect((await stores.ledger.status(a))?.state).toBe('succeeded');
      const callbacks = await drain(1);
      expect(callbacks.map((d) => [d.payload, d.key])).toEqual([['job-a', a]]);
    });

    it("serves a batch's results in the order its requests finished, page by page, resumable after any request", async () => {
      const batchId = unique('b');
      const ids = Array.from({ length: 5 }, (_, i) => unique(`r${i}`));
      await stores.ledger.accept(unique('inbox'), ids.map((id) => ({ id, batchId, payload: 'e' })));
      const order = [ids[3], ids[0], ids[4], ids[1], ids[2]] as string[];
      for (const id of order) await stores.ledger.finalize([{ id, batchId, status: 'succeeded', attempts: 1, result: `{"id":"${id}"}` }], queue);
      // A duplicate final record adds nothing.
      await stores.ledger.finalize([{ id: order[0] as string, batchId, status: 'failed', attempts: 1, result: '{}' }], queue);
      const first = await stores.ledger.results(batchId, undefined, 2);
      const second = await stores.ledger.results(batchId, first.cursor, 2);
      const third = await stores.ledger.results(batchId, second.cursor, 2);
      const end = await stores.ledger.results(batchId, third.cursor, 2);
      expect([...first.results, ...second.results, ...third.results]).toEqual(order.map((id) => ({ id, result: `{"id":"${id}"}` })));
      expect([first.scanned, second.scanned, third.scanned]).toEqual([2, 2, 1]);
      expect(end).toEqual({ results: [], cursor: third.cursor, scanned: 0 });
      const afterSecond = await stores.ledger.results(batchId, await stores.ledger.resultCursor(order[1] as string), 10);
      expect(afterSecond.results.map((r) => r.id)).toEqual(order.slice(2));
      expect(await stores.ledger.resultCursor(unique('unknown'))).toBeUndefined();
      expect(await stores.ledger.results(unique('no-batch'), undefined, 10)).toEqual({ results: [], cursor: undefined, scanned: 0 });
    });

    it('completes a sealed batch once its last request is final, with one batch.completed job holding its counts', async () => {
      const batchId = unique('b');
      const [a, b, c] = [unique('a'), unique('b'), unique('c')];
      await stores.ledger.accept(unique('inbox'), [a, b, c].map((id) => ({ id, batchId, payload: 'e' })));
      const callback = { url: 'https://example.com/batch-done', headers: { 'x-team': 'blue' } };
      await stores.ledger.seal({ batchId, callback }, queue);
      await stores.ledger.seal({ batchId, callback: { url: 'https://example.com/ignored' } }, queue); // sealed once
      await stores.ledger.finalize([{ id: a, batchId, status: 'succeeded', attempts: 1, result: '{}' }, { id: b, batchId, status: 'failed', attempts: 3, result: '{}', reason: 'attempts_exhausted' }], queue);
      expect(await stores.ledger.batch(batchId)).toMatchObject({ complete: false, reasons: { attempts_exhausted: 1 } });
      await stores.ledger.finalize([{ id: c, batchId, status: 'failed', attempts: 0, result: '{}', reason: 'cancelled' }], queue);
      // Redeliveries around the last request, and a late seal, call back no more.
      await stores.ledger.finalize([{ id: c, batchId, status: 'failed', attempts: 0, result: '{}', reason: 'cancelled' }], queue);
      await stores.ledger.seal({ batchId }, queue);
      const status = await stores.ledger.batch(batchId);
      expect(status).toMatchObject({ total: 3, complete: true, counts: { succeeded: 1, failed: 2 }, reasons: { attempts_exhausted: 1, cancelled: 1 } });
      expect(status?.firstFinishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      const jobs = await drain(1);
      expect(jobs).toHaveLength(1);
      const job = JSON.parse((jobs[0] as Delivery).payload) as { id: string; url: string; headers: unknown; body: string; attempt: number };
      expect(job).toMatchObject({ id: `${batchId}.completed`, url: callback.url, headers: callback.headers, attempt: 0 });
      expect(JSON.parse(job.body)).toEqual({
        type: 'batch.completed',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        data: { batchId, total: 3, counts: { succeeded: 1, failed: 2 }, reasons: { attempts_exhausted: 1, cancelled: 1 }, firstFinishedAt: status?.firstFinishedAt, lastFinishedAt: status?.lastFinishedAt, results: `/v1/batches/${batchId}/results` },
      });
    });

    it('completes at the seal a batch whose requests were all final before it, and an unsealed one never', async () => {
      const [sealedLate, open] = [unique('b'), unique('b')];
      const [a, b] = [unique('a'), unique('b')];
      await stores.ledger.accept(unique('inbox'), [{ id: a, batchId: sealedLate, payload: 'e' }, { id: b, batchId: open, payload: 'e' }]);
      await stores.ledger.finalize([{ id: a, batchId: sealedLate, status: 'succeeded', attempts: 1, result: '{}' }, { id: b, batchId: open, status: 'succeeded', attempts: 1, result: '{}' }], queue);
      expect((await stores.ledger.batch(open))?.complete).toBe(false);
      await stores.ledger.seal({ batchId: sealedLate, callback: { url: 'https://example.com/done' } }, queue);
      expect((await stores.ledger.batch(sealedLate))?.complete).toBe(true);
      expect((await stores.ledger.batch(open))?.complete).toBe(false);
      const jobs = await drain(1);
      expect(jobs.map((d) => (JSON.parse(d.payload) as { id: string }).id)).toEqual([`${sealedLate}.completed`]);
      // Without a batch callback a batch completes all the same, silently.
      await stores.ledger.seal({ batchId: open }, queue);
      expect((await stores.ledger.batch(open))?.complete).toBe(true);
    });

    it('records a final result for a request it no longer knows', async () => {
      const batchId = unique('b');
      const id = unique('r');
      expect([...(await stores.ledger.finalize([{ id, batchId, status: 'failed', attempts: 1, result: '{}' }], queue))]).toEqual([id]);
      expect(await stores.ledger.status(id)).toMatchObject({ state: 'failed', result: '{}' });
      expect(await stores.ledger.batch(batchId)).toMatchObject({ total: 1, counts: { failed: 1, queued: 0 } });
    });

    it('tells outcomes the request has moved past (stale) from current and redelivered ones, with cancellations, in one call', async () => {
      const batchId = unique('b');
      const [atTwo, retrying, finished, fresh, cancelledOne] = [unique('r'), unique('r'), unique('r'), unique('r'), unique('r')];
      await stores.ledger.accept(queue, [atTwo, retrying, finished, fresh, cancelledOne].map((id) => ({ id, batchId, payload: 'e' })));
      await stores.ledger.advance([
        { id: atTwo, batchId, state: 'in_flight', attempt: 2 },
        { id: retrying, batchId, state: 'waiting_retry', attempt: 1 },
      ]);
      await stores.ledger.finalize([{ id: finished, batchId, status: 'succeeded', attempts: 1, result: '{}' }], queue);
      await stores.ledger.requestCancel(cancelledOne);
      const standing = await stores.ledger.standing([
        { id: atTwo, batchId, attempts: 1 }, // attempt 1's outcome, but attempt 2 has begun: stale
        { id: atTwo, batchId, attempts: 2 }, // the attempt under way: current
        { id: retrying, batchId, attempts: 1 }, // the retry already decided, redelivered: current
        { id: finished, batchId, attempts: 1 }, // finished: stale
        { id: fresh, batchId, attempts: 0 }, // ended before its first call: current
        { id: cancelledOne, batchId, attempts: 0 },
        { id: unique('expired'), batchId, attempts: 3 }, // no record: nothing in its way
      ]);
      expect(standing.stale).toEqual([true, false, false, true, false, false, false]);
      expect([...standing.cancelled]).toEqual([cancelledOne]);
      expect(await stores.ledger.standing([])).toEqual({ stale: [], cancelled: new Set() });
    });

    it('flags cancellations per request and per batch, and logs each once in order', async () => {
      const [batch1, batch2] = [unique('b'), unique('b')];
      const [r1, r2, r3] = [unique('r'), unique('r'), unique('r')];
      await stores.ledger.accept(queue, [
        { id: r1, batchId: batch1, payload: 'e' },
        { id: r2, batchId: batch1, payload: 'e' },
        { id: r3, batchId: batch2, payload: 'e' },
      ]);
      const before = await stores.ledger.cancellationsAfter(undefined, 10_000);
      const start = before[before.length - 1]?.position;
      expect(await stores.ledger.requestCancel(r1)).toMatchObject({ id: r1, cancelRequested: true, state: 'queued' });
      await stores.ledger.requestCancel(r1);
      expect(await stores.ledger.requestBatchCancel(batch2)).toMatchObject({ batchId: batch2, cancelRequested: true, total: 1 });
      expect(await stores.ledger.requestCancel(unique('unknown'))).toBeUndefined();
      expect(await stores.ledger.requestBatchCancel(unique('unknown'))).toBeUndefined();
      const refs = [r1, r2, r3].map((id, i) => ({ id, batchId: i < 2 ? batch1 : batch2 }));
      expect([...(await stores.ledger.cancelled(refs))].sort()).toEqual([r1, r3].sort());
      const starting = refs.map((ref) => ({ ...ref, state: 'in_flight' as const, attempt: 1 }));
      expect([...(await stores.ledger.advanceUnlessCancelled(starting))].sort()).toEqual([r1, r3].sort());
      expect(await stores.ledger.status(r1)).toMatchObject({ state: 'queued', cancelRequested: true });
      expect(await stores.ledger.status(r2)).toMatchObject({ state: 'in_flight', cancelRequested: false });
      expect(await stores.ledger.status(r3)).toMatchObject({ state: 'queued' }); // cancelled with its batch
      const log = await stores.ledger.cancellationsAfter(start, 10);
      expect(log.map(({ requestId, batchId }) => ({ requestId, batchId }))).toEqual([
        { requestId: r1, batchId: batch1 },
        { requestId: undefined, batchId: batch2 },
      ]);
      expect(await stores.ledger.cancellationsAfter(log[0]?.position, 10)).toEqual([log[1]]);
    });

    /** A ledger whose ledger-wide views see only this test's batches (see `expiringLedger`). */
    const ledgerApart = (): RequestLedger => target.expiringLedger?.(stores, 60_000) ?? stores.ledger;
    const batchIds = (batches: readonly RecentBatch[]): string[] => batches.map((batch) => batch.batchId);
    const isoTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/) as unknown as string;
    const finalRecord = (id: string, batchId: string, status: 'succeeded' | 'failed' = 'succeeded', reason?: string) =>
      reason === undefined ? { id, batchId, status, attempts: 1, result: '{}' } : { id, batchId, status, attempts: 1, result: '{}', reason };

    it('lists the open batches newest started first, at most `limit`, each with its counts and whether sealed', async () => {
      const ledger = ledgerApart();
      const [first, second, third] = [unique('b'), unique('b'), unique('b')];
      const [a1, a2, b1, c1] = [unique('a'), unique('a'), unique('b'), unique('c')];
      // Apart in time: batches started in the same millisecond are ordered by id.
      await ledger.accept(queue, [{ id: a1, batchId: first, payload: 'e' }]);
      await delay(5);
      await ledger.accept(queue, [{ id: b1, batchId: second, payload: 'e' }]);
      await ledger.seal({ batchId: second }, queue);
      await delay(5);
      await ledger.accept(queue, [{ id: c1, batchId: third, payload: 'e' }]);
      // The first grows after the others started and keeps its place; the third has every request
      // final but is unsealed: it may still grow, so it is open.
      await ledger.accept(queue, [{ id: a2, batchId: first, payload: 'e' }]);
      await ledger.advance([{ id: a1, batchId: first, state: 'in_flight', attempt: 1 }]);
      await ledger.finalize([finalRecord(c1, third)], queue);

      const listed = await ledger.recentBatches(20, 60_000);
      expect(batchIds(listed)).toEqual([third, second, first]);
      expect(listed).toEqual([
        { ...(await ledger.batch(third)), sealed: false, startedAt: isoTime },
        { ...(await ledger.batch(second)), sealed: true, startedAt: isoTime },
        { ...(await ledger.batch(first)), sealed: false, startedAt: isoTime },
      ]);
      expect(listed[0]).toMatchObject({ total: 1, complete: false, counts: { succeeded: 1 } });
      expect(listed[2]).toMatchObject({ total: 2, complete: false, counts: { queued: 1, in_flight: 1, succeeded: 0 } });
      expect(new Date(listed[0]?.startedAt ?? 0).getTime()).toBeGreaterThan(new Date(listed[1]?.startedAt ?? 0).getTime());
      expect(new Date(listed[1]?.startedAt ?? 0).getTime()).toBeGreaterThan(new Date(listed[2]?.startedAt ?? 0).getTime());
      expect(batchIds(await ledger.recentBatches(2, 60_000))).toEqual([third, second]);
      expect(await ledger.recentBatches(0, 60_000)).toEqual([]);
    });

    it('moves a batch that completes from the open ones to the completed ones, with its final counts, for as long as asked', async () => {
      const ledger = ledgerApart();
      const [done, sealedLate, open, adopted] = [unique('b'), unique('b'), unique('b'), unique('b')];
      const [d1, d2, s1, o1, x1] = [unique('d'), unique('d'), unique('s'), unique('o'), unique('x')];
      await ledger.accept(queue, [d1, d2].map((id) => ({ id, batchId: done, payload: 'e' })));
      await ledger.seal({ batchId: done }, queue);
      await delay(5);
      await ledger.accept(queue, [{ id: s1, batchId: sealedLate, payload: 'e' }]);
      await delay(5);
      await ledger.accept(queue, [{ id: o1, batchId: open, payload: 'e' }]);
      await delay(5);
      // A final record of a request the ledger never saw opens its batch too.
      await ledger.finalize([finalRecord(x1, adopted, 'failed', 'cancelled')], queue);
      expect(batchIds(await ledger.recentBatches(20, 60_000))).toEqual([adopted, open, sealedLate, done]);

      // One completes with its last final record, the other at its seal, a little later.
      await ledger.finalize([finalRecord(d1, done), finalRecord(d2, done, 'failed', 'attempts_exhausted')], queue);
      await ledger.finalize([finalRecord(s1, sealedLate)], queue);
      await delay(5);
      await ledger.seal({ batchId: sealedLate }, queue);
      const listed = await ledger.recentBatches(20, 60_000);
      expect(batchIds(listed)).toEqual([adopted, open, sealedLate, done]);
      expect(listed[3]).toEqual({ ...(await ledger.batch(done)), sealed: true, startedAt: isoTime, completedAt: isoTime });
      expect(listed[3]).toMatchObject({ total: 2, complete: true, counts: { queued: 0, succeeded: 1, failed: 1 }, reasons: { attempts_exhausted: 1 } });
      expect(listed[2]).toMatchObject({ total: 1, complete: true, sealed: true, counts: { succeeded: 1 } });
      expect(listed[1]).toMatchObject({ total: 1, complete: false, sealed: false, counts: { queued: 1 } });
      expect(listed[1]?.completedAt).toBeUndefined();
      expect(listed[0]).toMatchObject({ total: 1, complete: false, sealed: false, counts: { queued: 0, failed: 1 }, reasons: { cancelled: 1 } });
      expect(new Date(listed[2]?.completedAt ?? 0).getTime()).toBeGreaterThan(new Date(listed[3]?.completedAt ?? 0).getTime());
      // At most `limit` of each: the newest started open one and the latest completed one.
      expect(batchIds(await ledger.recentBatches(1, 60_000))).toEqual([adopted, sealedLate]);
      await delay(60);
      // Completed longer ago than asked: only the open ones are left.
      expect(batchIds(await ledger.recentBatches(20, 30))).toEqual([adopted, open]);
    });

    const expiringLedger = target.expiringLedger;
    if (expiringLedger !== undefined) {
      it('lists no batch whose records expired, open or completed', async () => {
        const ledger = expiringLedger(stores, 300);
        const [open, done] = [unique('b'), unique('b')];
        const finished = unique('r');
        await ledger.accept(queue, [{ id: unique('r'), batchId: open, payload: 'e' }]);
        await ledger.accept(queue, [{ id: finished, batchId: done, payload: 'e' }]);
        await ledger.seal({ batchId: done }, queue);
        await ledger.finalize([finalRecord(finished, done)], queue);
        expect(batchIds(await ledger.recentBatches(20, 60_000)).sort()).toEqual([open, done].sort());
        await delay(700);
        expect(await ledger.batch(open)).toBeUndefined();
        expect(await ledger.recentBatches(20, 60_000)).toEqual([]);
        const fresh = unique('b');
        await ledger.accept(queue, [{ id: unique('r'), batchId: fresh, payload: 'e' }]);
        expect(batchIds(await ledger.recentBatches(20, 60_000))).toEqual([fresh]);
      });
    }

    const inboxLength = async (): Promise<number> => (await stores.backend.backlog(queue, 'g')).waiting;
    const requestsOf = (batchId: string, count: number) => Array.from({ length: count }, (_, i) => ({ id: unique(`r${i}`), batchId, payload: `e${i}` }));
    const batchGuard = (key: string, fingerprint: string, response: string, ttlMs = 60_000): BatchGuard => ({ kind: 'batch', key, fingerprint, response, ttlMs });
    const streamGuard = (key: string, owner: string, batchId: string, line: number): StreamGuard => ({
      kind: 'stream',
      key,
      owner,
      batchId,
      position: { line, digest: `digest-${line}` },
      ttlMs: 60_000,
    });

    it('accepts a batch and stores its answer in one step; a repeat replays it and writes nothing', async () => {
      const { ledger, idempotency } = stores;
      const key = unique('idem');
      const first = requestsOf(unique('b'), 2);
      expect(await ledger.accept(queue, first, batchGuard(key, 'sha-1', '{"batchId":"b1"}'))).toEqual({ kind: 'accepted' });
      const again = requestsOf(unique('b'), 2);
      expect(await ledger.accept(queue, again, batchGuard(key, 'sha-1', '{"batchId":"b2"}'))).toEqual({ kind: 'replay', response: '{"batchId":"b1"}' });
      expect(await ledger.accept(queue, first, batchGuard(key, 'sha-1', '{"batchId":"b1"}'))).toEqual({ kind: 'replay', response: '{"batchId":"b1"}' });
      expect(await ledger.accept(queue, again, batchGuard(key, 'sha-2', '{"batchId":"b3"}'))).toEqual({ kind: 'mismatch' });
      expect(await inboxLength()).toBe(2);
      expect(await ledger.status(again[0]?.id ?? '')).toBeUndefined();
      expect(await ledger.batch(first[0]?.batchId ?? '')).toMatchObject({ total: 2, counts: { queued: 2 } });
      expect(await idempotency.claimStream(key, 'owner', 60_000)).toEqual({ kind: 'completed', entry: { fingerprint: 'sha-1', response: '{"batchId":"b1"}' } });
      expect(await ledger.accept(queue, requestsOf(unique('b'), 1))).toEqual({ kind: 'accepted' });
      expect(await inboxLength()).toBe(3);
    });

    it('forgets an answer after its time to live', async () => {
      const key = unique('idem');
      await stores.ledger.accept(queue, requestsOf(unique('b'), 1), batchGuard(key, 'sha', 'first', 150));
      await delay(400);
      expect(await stores.ledger.accept(queue, requestsOf(unique('b'), 1), batchGuard(key, 'other', 'second'))).toEqual({ kind: 'accepted' });
      expect(await stores.idempotency.claimStream(key, 'owner', 60_000)).toEqual({ kind: 'completed', entry: { fingerprint: 'other', response: 'second' } });
    });

    it('holds a stream key for its owner: others are in progress, a foreign chunk is lost, completing is fenced', async () => {
      const { ledger, idempotency } = stores;
      const key = unique('idem');
      const batchId = unique('b');
      expect(await idempotency.claimStream(key, 'a', 60_000)).toEqual({ kind: 'claimed' });
      expect(await idempotency.claimStream(key, 'b', 60_000)).toEqual({ kind: 'in_progress' });
      expect(await ledger.accept(queue, requestsOf(unique('b'), 1), batchGuard(key, 'sha', 'x'))).toEqual({ kind: 'in_progress' });
      expect(await ledger.accept(queue, requestsOf(batchId, 2), streamGuard(key, 'a', batchId, 3))).toEqual({ kind: 'accepted' });
      const foreign = requestsOf(batchId, 1);
      expect(await ledger.accept(queue, foreign, streamGuard(key, 'b', batchId, 4))).toEqual({ kind: 'lost' });
      expect(await ledger.status(foreign[0]?.id ?? '')).toBeUndefined();
      expect(await idempotency.renewStream(key, 'b', 60_000)).toBe(false);
      expect(await idempotency.renewStream(key, 'a', 60_000)).toBe(true);
      const entry = { fingerprint: 'sha-stream', response: '{"batchId":"s"}' };
      expect(await idempotency.completeStream(key, 'b', entry, 60_000)).toBe(false);
      expect(await idempotency.claimStream(key, 'c', 60_000)).toEqual({ kind: 'in_progress' });
      expect(await idempotency.completeStream(key, 'a', entry, 60_000)).toBe(true);
      expect(await idempotency.claimStream(key, 'c', 60_000)).toEqual({ kind: 'completed', entry });
      expect(await ledger.accept(queue, requestsOf(unique('b'), 1), batchGuard(key, 'sha-stream', 'x'))).toEqual({ kind: 'replay', response: entry.response });
      expect(await inboxLength()).toBe(2);

      const other = unique('idem');
      expect(await idempotency.claimStream(other, 'a', 60_000)).toEqual({ kind: 'claimed' });
      await idempotency.releaseStream(other, 'b');
      expect(await idempotency.claimStream(other, 'c', 60_000)).toEqual({ kind: 'in_progress' });
      await idempotency.releaseStream(other, 'a');
      expect(await idempotency.claimStream(other, 'c', 60_000)).toEqual({ kind: 'claimed' });
    });

    it('frees a stream key whose lock expired: the stale holder writes nothing, the next one resumes its progress', async () => {
      const { ledger, idempotency } = stores;
      const key = unique('idem');
      const batchId = unique('b');
      expect(await idempotency.claimStream(key, 'dead', 200)).toEqual({ kind: 'claimed' });
      const [first, second] = [requestsOf(batchId, 2), requestsOf(batchId, 3)];
      expect(await ledger.accept(queue, first, streamGuard(key, 'dead', batchId, 2))).toEqual({ kind: 'accepted' });
      expect(await ledger.accept(queue, second, streamGuard(key, 'dead', batchId, 6))).toEqual({ kind: 'accepted' });
      expect(await idempotency.claimStream(key, 'next', 200)).toEqual({ kind: 'in_progress' });
      await delay(400);
      const late = requestsOf(batchId, 1);
      expect(await ledger.accept(queue, late, streamGuard(key, 'dead', batchId, 7))).toEqual({ kind: 'lost' });
      expect(await ledger.status(late[0]?.id ?? '')).toBeUndefined();
      expect(await inboxLength()).toBe(5);
      const ids = [...first, ...second].map((request) => request.id);
      expect(await idempotency.claimStream(key, 'next', 200)).toEqual({ kind: 'claimed', resume: { batchId, line: 6, digest: 'digest-6', ids } });
      // Renewed in time, the lock outlives its 200 ms; the stale holder cannot complete.
      for (let i = 0; i < 4; i++) {
        await delay(100);
        expect(await idempotency.renewStream(key, 'next', 200)).toBe(true);
      }
      expect(await idempotency.claimStream(key, 'third', 200)).toEqual({ kind: 'in_progress' });
      expect(await idempotency.completeStream(key, 'dead', { fingerprint: 'f', response: 'r' }, 60_000)).toBe(false);
      // Released with its progress kept: a batch under this key is another body.
      await idempotency.releaseStream(key, 'next');
      expect(await ledger.accept(queue, requestsOf(unique('b'), 1), batchGuard(key, 'sha', 'x'))).toEqual({ kind: 'mismatch' });
      expect(await idempotency.claimStream(key, 'third', 200)).toEqual({ kind: 'claimed', resume: { batchId, line: 6, digest: 'digest-6', ids } });
      expect(await inboxLength()).toBe(5);
    });

    it('lists dead letters oldest first in pages, and replays them into a queue', async () => {
      const [d0, d1, d2] = [unique('d0'), unique('d1'), unique('d2')];
      const ids = [d0, d1, d2];
      await stores.deadLetters.add(ids.map((id, i) => ({ id, deadAt: 1_000 + i, job: `{"attempt":${5 + i}}`, reason: 'HTTP 500' })));
      const first = await stores.deadLetters.list({ limit: 2 });
      const ours = (page: typeof first) => page.items.filter((l) => ids.includes(l.id)).map((l) => l.id);
      expect(ours(first)).toEqual([d0, d1]);
      expect(first.next).toBe(d1);
      const second = await stores.deadLetters.list({ limit: 2, after: first.next });
      expect(ours(second)).toEqual([d2]);
      expect(await stores.deadLetters.get(d0)).toEqual({ id: d0, deadAt: 1_000, job: '{"attempt":5}', reason: 'HTTP 500' });
      const moved = await stores.deadLetters.replay([d0, unique('unknown')], queue, (job) => job.replace(/"attempt":\d+/, '"attempt":0'));
      expect(moved).toEqual([d0]);
      expect(await stores.deadLetters.get(d0)).toBeUndefined();
      const replayed = await drain(1);
      expect(replayed.map((d) => [d.payload, d.key])).toEqual([['{"attempt":0}', d0]]);
      await stores.deadLetters.replay([d1, d2], unique('cleanup'), (job) => job);
    });

    it('keeps the newest decision-log entries, newest first, within the bound', async () => {
      for (let i = 1; i <= 5; i++) await stores.decisionLog.append(JSON.stringify({ tick: i }), 3);
      expect((await stores.decisionLog.recent(10)).map((entry) => JSON.parse(entry) as { tick: number })).toEqual([{ tick: 5 }, { tick: 4 }, { tick: 3 }]);
      expect(await stores.decisionLog.recent(1)).toEqual([JSON.stringify({ tick: 5 })]);
      expect(await stores.decisionLog.recent(0)).toEqual([]);
    });

    it('keeps the record of the Parcs, oldest first', async () => {
      const before = (await stores.parcRegistry.list()).length;
      const id = unique('p');
      const newer = unique('p');
      await stores.parcRegistry.put({ id: newer, state: 'active', createdAtMs: 2_000 });
      await stores.parcRegistry.put({ id, state: 'active', createdAtMs: 1_000 });
      await stores.parcRegistry.put({ id: newer, state: 'draining', createdAtMs: 2_000 });
      const mine = (await stores.parcRegistry.list()).filter((record) => record.id === id || record.id === newer);
      expect(mine).toEqual([
        { id, state: 'active', createdAtMs: 1_000 },
        { id: newer, state: 'draining', createdAtMs: 2_000 },
      ]);
      expect(await stores.parcRegistry.remove(newer)).toBe(true);
      expect(await stores.parcRegistry.remove(newer)).toBe(false);
      expect((await stores.parcRegistry.list()).length).toBe(before + 1);
      await stores.parcRegistry.remove(id);
    });
  });
}

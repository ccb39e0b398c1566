import { appendAttempt, serializeEnvelope, type AttemptRecord, type Envelope, type FinalResult } from '@parc/envelope';
import { waitFor } from '@parc/testing';
import { globalNames, parcNames } from '@parc/topology';
import { collect, envelopeFor, memoryBackend, type MemoryBackend } from './pipeline.fixture';
import { decodeResponse, startParcOutgoing, type ParcOutgoingOptions, type ResponseHeader, type Worker } from './index';

const names = parcNames('p1');
const { inbox, responsesTopic } = globalNames();
const URL = 'https://api.example.com/x';

const attempt = (outcome: Partial<AttemptRecord>): AttemptRecord => ({ startedAt: '2025-01-15T12:00:00.000Z', durationMs: 5, ...outcome });
/** An envelope as parc-caller leaves it: with these attempts recorded. */
const after = (envelope: Envelope, ...outcomes: Partial<AttemptRecord>[]): Envelope =>
  outcomes.reduce((current, outcome) => appendAttempt(current, attempt(outcome)), envelope);

describe('parc-outgoing', () => {
  let parc: MemoryBackend;
  let kafka: MemoryBackend;
  let proxy: MemoryBackend;
  let worker: Worker | undefined;
  let responses: Awaited<ReturnType<typeof collect>>;

  beforeEach(async () => {
    parc = memoryBackend();
    kafka = memoryBackend();
    proxy = memoryBackend();
    responses = await collect(kafka, responsesTopic);
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await responses.close();
    await Promise.all([parc.close(), kafka.close(), proxy.close()]);
  });

  async function start(overrides: Partial<ParcOutgoingOptions> = {}) {
    const delayed = parc.delayedQueue(names.delayed, names.due);
    worker = await startParcOutgoing({
      parc, delayed, kafka, ledger: proxy.ledger(), names, responsesTopic,
      activeParcIds: () => ['p1'], random: () => 0.5, moverTickMs: 10, sweepTickMs: 10, ...overrides,
    });
    return delayed;
  }

  async function putDone(envelopes: readonly Envelope[]): Promise<void> {
    await proxy.ledger().accept(inbox, envelopes.map((e) => ({ id: e.id, batchId: e.batchId, payload: '' })));
    await parc.publish(names.done, envelopes.map((e) => ({ payload: serializeEnvelope(e), key: e.id })));
  }

  function finals(): Map<string, { header: ResponseHeader; result: FinalResult }> {
    return new Map(responses.messages.map((m) => {
      const { header, result } = decodeResponse(m.payload);
      return [m.key as string, { header, result: JSON.parse(result) as FinalResult }];
    }));
  }

  it('publishes finals to responses with the right status and reason', async () => {
    const base = () => envelopeFor(URL, { callback: { url: 'https://client.example.com/cb', headers: { 'X-Auth': 't' } } });
    const cases: [Envelope, ResponseHeader['status'], string | undefined][] = [
      [after(base(), { status: 200 }), 'succeeded', undefined],
      [after(base(), { status: 404 }), 'failed', 'non_retryable_status'],
      [after(base(), { status: 500 }, { status: 502 }, { status: 503 }), 'failed', 'retries_exhausted'],
      [after(base(), { error: { code: 'destination_blocked', message: '127.0.0.1 is loopback' } }), 'failed', 'destination_blocked'],
      [after(base(), { error: { code: 'invalid_request', message: 'bad header' } }), 'failed', 'non_retryable_error'],
      [{ ...after(base(), { status: 500 }), endReason: 'cancelled' }, 'failed', 'cancelled'],
      [{ ...base(), endReason: 'deadline_exceeded' }, 'failed', 'deadline_exceeded'],
    ];
    await putDone(cases.map(([envelope]) => envelope));
    const delayed = await start();
    await waitFor('all finals', () => responses.messages.length === cases.length);

    const byId = finals();
    for (const [envelope, status, reason] of cases) {
      const { header, result } = byId.get(envelope.id) as { header: ResponseHeader; result: FinalResult };
      expect(header).toEqual({
        v: 1, id: envelope.id, batchId: envelope.batchId, traceId: envelope.traceId, status,
        ...(reason ? { reason } : {}), attempts: envelope.attempts.length, callback: envelope.callback,
      });
      expect(result).toMatchObject({ id: envelope.id, status, attempts: envelope.attempts, request: envelope.request });
      expect(result.reason).toBe(reason);
    }
    expect(await delayed.size()).toBe(0);
  });

  it('schedules a retry in the delayed set at its backoff time, with the waiting_retry transition', async () => {
    const now = Date.UTC(2025, 0, 15, 12);
    const retried = after(envelopeFor(URL, {}, now - 100), { status: 500 });
    const throttled = after(envelopeFor(URL, {}, now - 100), { status: 429, retryAfterMs: 1000 });
    await putDone([retried, throttled]);
    await proxy.ledger().advance([retried, throttled].map((e) => ({ id: e.id, batchId: e.batchId, state: 'in_flight', attempt: 1 })));
    const delayed = await start({ now: () => now, moverTickMs: 60_000 });
    await waitFor('both scheduled', async () => (await delayed.size()) === 2);

    expect(await delayed.countDueBy(now + 19)).toBe(0);
    expect(await delayed.countDueBy(now + 20)).toBe(1); // initialDelayMs, no jitter
    expect(await delayed.countDueBy(now + 1000)).toBe(2); // Retry-After wins over the backoff
    await waitFor('ledger waiting_retry', async () => (await proxy.ledger().status(retried.id))?.state === 'waiting_retry');
    expect(await proxy.ledger().status(retried.id)).toMatchObject({ attempts: 1 });
    expect(responses.messages).toHaveLength(0);
  });

  it('finalises a retry as cancelled when the request was cancelled meanwhile', async () => {
    const envelope = after(envelopeFor(URL), { status: 500 });
    await putDone([envelope]);
    await proxy.ledger().requestCancel(envelope.id);
    const delayed = await start();
    await waitFor('final', () => responses.messages.length === 1);
    expect(finals().get(envelope.id)?.header).toMatchObject({ status: 'failed', reason: 'cancelled', attempts: 1 });
    expect(await delayed.size()).toBe(0);
  });

  it('fails with deadline_exceeded when the retry would start after the deadline', async () => {
    const now = Date.now();
    const envelope = after(envelopeFor(URL, { deadlineMs: 110, policy: { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 'none' } }, now - 100), { status: 503 });
    await putDone([envelope]);
    await start({ now: () => now });
    await waitFor('final', () => responses.messages.length === 1);
    expect(finals().get(envelope.id)?.header).toMatchObject({ status: 'failed', reason: 'deadline_exceeded' });
  });

  it('mover: a due retry goes back to a requests topic, keyed by request id, payload with its attempts', async () => {
    const requests = await collect(kafka, names.requestsTopic);
    const envelope = after(envelopeFor(URL), { status: 500 });
    await putDone([envelope]);
    await start();
    await waitFor('moved to the requests topic', () => requests.messages.length === 1);
    const [moved] = requests.messages;
    expect(moved?.key).toBe(envelope.id);
    expect(JSON.parse(moved?.payload ?? '')).toEqual(envelope);
    await waitFor('due acknowledged', async () => (await parc.backlog(names.due, 'parc-mover')).inFlight === 0);
    await requests.close();
  });

  it('sweep: a cancelled request waiting a long retry is finalised promptly, not at its retry time', async () => {
    const requests = await collect(kafka, names.requestsTopic);
    const slow = { initialDelayMs: 600_000, maxDelayMs: 600_000 };
    const envelope = after(envelopeFor(URL, { policy: slow }), { status: 500 });
    await putDone([envelope]);
    const delayed = await start();
    await waitFor('waiting its retry', async () => (await delayed.size()) === 1);

    await proxy.ledger().requestCancel(envelope.id);
    await waitFor('finalised cancelled', () => responses.messages.length === 1, 3_000);
    expect(finals().get(envelope.id)?.header).toMatchObject({ status: 'failed', reason: 'cancelled', attempts: 1 });
    expect(await delayed.size()).toBe(0);
    expect(requests.messages).toHaveLength(0);
    await requests.close();
  });

  it('drops the outcome of an attempt the request has moved past (a zombie caller waking up), and handles a redelivered one again', async () => {
    const slow = { initialDelayMs: 600_000, maxDelayMs: 600_000 };
    const stale = after(envelopeFor(URL, { policy: slow }), { status: 500 });
    // The same request's current attempt, in the same batch as the stale one (the chaos run that
    // found this: both were dropped, by request id, and the request never finished).
    const current = after(stale, { status: 200 });
    const finalStale = after(envelopeFor(URL, { policy: slow }), { status: 200 });
    const redelivered = after(envelopeFor(URL, { policy: slow }), { status: 500 });
    const all = [stale, current, finalStale, redelivered];
    await proxy.ledger().accept(inbox, [stale, finalStale, redelivered].map((e) => ({ id: e.id, batchId: e.batchId, payload: '' })));
    // The live lineages: the first two are at their second attempt; the third decided its retry already.
    await proxy.ledger().advance([
      { id: stale.id, batchId: stale.batchId, state: 'in_flight', attempt: 2 },
      { id: finalStale.id, batchId: finalStale.batchId, state: 'in_flight', attempt: 2 },
      { id: redelivered.id, batchId: redelivered.batchId, state: 'waiting_retry', attempt: 1 },
    ]);
    await parc.publish(names.done, all.map((e) => ({ payload: serializeEnvelope(e), key: e.id })));
    const delayed = await start();
    await waitFor('done acknowledged', async () => (await parc.backlog(names.done, 'parc-outgoing')).inFlight + (await parc.backlog(names.done, 'parc-outgoing')).waiting === 0);
    await waitFor('the redelivered retry scheduled', async () => (await delayed.size()) === 1);
    await waitFor('the current outcome finalised', () => responses.messages.length === 1, 3_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(responses.messages).toHaveLength(1);
    expect(finals().get(stale.id)?.header).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await delayed.size()).toBe(1);
    expect(await proxy.ledger().status(finalStale.id)).toMatchObject({ state: 'in_flight' });
  });
});

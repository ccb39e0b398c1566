import { serializeEnvelope, parseEnvelope, type Envelope } from '@parc/envelope';
import type { AttemptRecord } from '@parc/envelope';
import { startTargetServer, waitFor, type TargetServer } from '@parc/testing';
import { globalNames, parcNames } from '@parc/topology';
import { Registry } from 'prom-client';
import { collect, envelopeFor, loopbackHttp, memoryBackend, type MemoryBackend } from './pipeline.fixture';
import { DestinationControl, startParcCaller, UNLIMITED_POLICY, type HttpCallPort, type Worker } from './index';

const names = parcNames('p1');
const { inbox } = globalNames();

describe('parc-caller', () => {
  let parc: MemoryBackend;
  let proxy: MemoryBackend;
  let target: TargetServer;
  let worker: Worker | undefined;
  const http = loopbackHttp();

  beforeAll(async () => {
    target = await startTargetServer();
  });
  afterAll(async () => {
    await http.close();
    await target.close();
  });
  beforeEach(() => {
    parc = memoryBackend({ leaseMs: 300 });
    proxy = memoryBackend();
    target.reset();
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await Promise.all([parc.close(), proxy.close()]);
  });

  /** Accepts the envelopes into the ledger (as the proxy does) and puts them in ready. */
  async function enqueue(envelopes: readonly Envelope[]): Promise<void> {
    await proxy.ledger().accept(inbox, envelopes.map((e) => ({ id: e.id, batchId: e.batchId, payload: '' })));
    await parc.publish(names.ready, envelopes.map((e) => ({ payload: serializeEnvelope(e), key: e.id })));
  }

  async function doneEnvelopes(count: number): Promise<Map<string, Envelope>> {
    const done = await collect(parc, names.done);
    await waitFor(`${count} envelopes in done`, () => done.messages.length >= count, 10_000);
    await done.close();
    return new Map(done.messages.map((m) => [m.key as string, parseEnvelope(m.payload)]));
  }

  it('records one attempt per envelope: status, Retry-After, timeout and connection reset', async () => {
    const cases = {
      ok: envelopeFor(target.urlFor('/ok', { status: 200 })),
      busy: envelopeFor(target.urlFor('/busy', { status: 503, retryAfter: 2 })),
      slow: envelopeFor(target.urlFor('/slow', { hang: 1 }), { request: { method: 'GET', url: target.urlFor('/slow', { hang: 1 }), timeoutMs: 100 } }),
      reset: envelopeFor(target.urlFor('/reset', { reset: 1 })),
      body: envelopeFor(target.urlFor('/post'), { request: { method: 'POST', url: target.urlFor('/post'), bodyBase64: Buffer.from('hello').toString('base64'), timeoutMs: 2000 } }),
    };
    await enqueue(Object.values(cases));
    const registry = new Registry();
    worker = await startParcCaller({ parc, names, ledger: proxy.ledger(), http, registry, batchSize: 2, concurrency: 4 });
    const done = await doneEnvelopes(5);

    const only = (envelope: Envelope) => {
      const attempts = (done.get(envelope.id) as Envelope).attempts;
      expect(attempts).toHaveLength(1);
      return attempts[0];
    };
    expect(only(cases.ok)).toMatchObject({ attempt: 1, status: 200 });
    expect(only(cases.busy)).toMatchObject({ attempt: 1, status: 503, retryAfterMs: 2000 });
    expect(only(cases.slow)).toMatchObject({ attempt: 1, error: { code: 'timeout' } });
    expect(only(cases.reset)).toMatchObject({ attempt: 1, error: { code: 'connection_reset' } });
    expect(only(cases.body)).toMatchObject({ status: 200 });
    expect(target.calls.find((call) => call.url.startsWith('/post'))).toMatchObject({ method: 'POST', bodyBytes: 5 });

    const status = await proxy.ledger().status(cases.ok.id);
    expect(status).toMatchObject({ state: 'in_flight', attempts: 0 });
    const metrics = await registry.getSingleMetricAsString('parc_caller_calls_total');
    expect(metrics).toMatch(/outcome="2xx"} 2/);
    expect(metrics).toMatch(/outcome="timeout"} 1/);
    await waitFor('ready acknowledged', async () => (await parc.backlog(names.ready, 'parc-caller')).inFlight === 0);
  });

  it('ends cancelled and past-deadline requests with an end marker, without calling', async () => {
    const now = Date.now();
    const cancelled = envelopeFor(target.urlFor('/never', { key: 'cancelled' }));
    const late = envelopeFor(target.urlFor('/never', { key: 'late' }), { deadlineMs: 1000 }, now - 5000);
    const fine = envelopeFor(target.urlFor('/fine'));
    await enqueue([cancelled, late, fine]);
    await proxy.ledger().requestCancel(cancelled.id);
    worker = await startParcCaller({ parc, names, ledger: proxy.ledger(), http });
    const done = await doneEnvelopes(3);

    expect(done.get(cancelled.id)).toMatchObject({ endReason: 'cancelled', attempts: [] });
    expect(done.get(late.id)).toMatchObject({ endReason: 'deadline_exceeded', attempts: [] });
    expect(done.get(fine.id)?.endReason).toBeUndefined();
    expect(target.callCounts.get('cancelled')).toBeUndefined();
    expect(target.callCounts.get('late')).toBeUndefined();
  });

  it('keeps calls in flight within batchSize × concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const counting: HttpCallPort = {
      call: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return { startedAt: new Date().toISOString(), durationMs: 20, status: 200 };
      },
    };
    await enqueue(Array.from({ length: 60 }, () => envelopeFor('http://127.0.0.1:9/x')));
    worker = await startParcCaller({ parc, names, ledger: proxy.ledger(), http: counting, batchSize: 2, concurrency: 3 });
    await doneEnvelopes(60);
    expect(peak).toBe(6);
  });

  it('on close, aborts calls still running after the drain time and leaves their batch for redelivery', async () => {
    const aborted: unknown[] = [];
    const hanging: HttpCallPort = {
      call: (_request, signal) =>
        new Promise<AttemptRecord>((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            aborted.push(signal.reason);
            reject(signal.reason);
          });
        }),
    };
    await enqueue([envelopeFor('http://127.0.0.1:9/hang')]);
    worker = await startParcCaller({ parc, names, ledger: proxy.ledger(), http: hanging, drainMs: 100 });
    await waitFor('the call started', async () => (await parc.backlog(names.ready, 'parc-caller')).inFlight === 1);
    const started = Date.now();
    await worker.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(aborted).toHaveLength(1);
    // Not acknowledged: handed back, pending until another caller takes it.
    expect(await parc.backlog(names.ready, 'parc-caller')).toMatchObject({ waiting: 0, inFlight: 1 });
  });

  describe('on close, hands back at once what it has not started, and finishes the call under way', () => {
    const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const cases: { name: string; perHost: number; flowControl?: { parallelism: number } }[] = [
      { name: 'calls queued for a connection to their host', perHost: 1 },
      { name: "requests seated in the waiting room for their key's parallelism", perHost: 8, flowControl: { parallelism: 1 } },
    ];

    it.each(cases)('$name', async ({ perHost, flowControl }) => {
      await parc.close();
      parc = memoryBackend({ leaseMs: 60_000 });
      const perHostHttp = loopbackHttp(perHost);
      const start = () =>
        startParcCaller({
          parc,
          names,
          ledger: proxy.ledger(),
          http: perHostHttp,
          batchSize: 1,
          concurrency: 4,
          ...(flowControl === undefined
            ? {}
            : {
                destinations: {
                  control: new DestinationControl({ gate: proxy.destinationGate(), policy: UNLIMITED_POLICY, logger: silent, registry: new Registry(), syncIntervalMs: 60_000 }),
                  delayed: parc.delayedQueue(names.delayed, names.due),
                },
              }),
        });
      try {
        const envelopes = ['a', 'b', 'c'].map((key) => envelopeFor(target.urlFor(`/${key}`, { key, latencyMs: 300 }), flowControl === undefined ? {} : { flowControl }));
        await enqueue(envelopes);
        worker = await start();
        await waitFor('one call sent, three batches held', async () => target.calls.length === 1 && (await parc.backlog(names.ready, 'parc-caller')).inFlight === 3);

        const closedAt = Date.now();
        await worker.close();
        worker = undefined;
        // The call under way (300 ms) finished; the two not started did not wait for the 5 s drain.
        expect(Date.now() - closedAt).toBeLessThan(1_500);
        expect(target.calls).toHaveLength(1);
        expect(await parc.backlog(names.ready, 'parc-caller')).toMatchObject({ waiting: 0, inFlight: 2 });

        const restartedAt = Date.now();
        worker = await start();
        const done = await doneEnvelopes(3);
        // Taken at once by the next caller, not after the one-minute lease.
        expect(Date.now() - restartedAt).toBeLessThan(3_000);
        expect([...done.values()].map((envelope) => envelope.attempts.length)).toEqual([1, 1, 1]);
        expect(['a', 'b', 'c'].map((key) => target.callCounts.get(key))).toEqual([1, 1, 1]);
      } finally {
        await worker?.close();
        worker = undefined;
        await perHostHttp.close();
      }
    });
  });
});

import { serializeEnvelope } from '@parc/envelope';
import { waitFor } from '@parc/testing';
import { parcNames } from '@parc/topology';
import { collect, envelopeFor, memoryBackend, type MemoryBackend } from './pipeline.fixture';
import { startParcIncoming, type Worker } from './index';

const names = parcNames('p1');
const NOW = Date.UTC(2025, 0, 15, 12);

describe('parc-incoming', () => {
  let kafka: MemoryBackend;
  let parc: MemoryBackend;
  let worker: Worker | undefined;

  beforeEach(() => {
    kafka = memoryBackend();
    parc = memoryBackend();
  });
  afterEach(async () => {
    await worker?.close();
    await Promise.all([kafka.close(), parc.close()]);
  });

  it('sends due envelopes to ready and future notBefore ones to the delayed set, payloads untouched', async () => {
    const now = NOW;
    const due = envelopeFor('https://example.com/a', {}, now - 1000);
    const later = envelopeFor('https://example.com/b', { delayMs: 60_000 }, now);
    const justDue = envelopeFor('https://example.com/c', { delayMs: 1000 }, now - 1000);
    const payloads = [due, later, justDue].map(serializeEnvelope);
    await kafka.publish(names.requestsTopic, payloads.map((payload) => ({ payload })));
    const delayed = parc.delayedQueue(names.delayed, names.due);
    const schedule = jest.spyOn(delayed, 'schedule');
    const ready = await collect(parc, names.ready);

    worker = await startParcIncoming({ requests: kafka, parc, delayed, names, now: () => now });
    await waitFor('two ready', () => ready.messages.length === 2);
    expect(ready.messages.map(({ key, payload }) => ({ key, payload }))).toEqual([
      { key: due.id, payload: payloads[0] },
      { key: justDue.id, payload: payloads[2] },
    ]);
    expect(schedule).toHaveBeenCalledWith([{ id: later.id, payload: payloads[1], dueAtMs: now + 60_000 }]);
    expect(await delayed.countDueBy(now + 60_000)).toBe(1);
    await waitFor('kafka committed', async () => (await kafka.backlog(names.requestsTopic, 'parc-incoming.p1')).inFlight === 0);
    await ready.close();
  });

  it('drops text that is not an envelope instead of blocking the topic', async () => {
    const good = envelopeFor('https://example.com/a');
    await kafka.publish(names.requestsTopic, [{ payload: 'not json' }, { payload: serializeEnvelope(good) }]);
    const ready = await collect(parc, names.ready);
    worker = await startParcIncoming({ requests: kafka, parc, delayed: parc.delayedQueue(names.delayed, names.due), names });
    await waitFor('the good one ready', () => ready.messages.length === 1);
    expect(ready.messages[0]?.key).toBe(good.id);
    await waitFor('both committed', async () => (await kafka.backlog(names.requestsTopic, 'parc-incoming.p1')).waiting === 0);
    await ready.close();
  });

  it('pauses above the high watermark of ready and resumes below the low one', async () => {
    const total = 400;
    const envelopes = Array.from({ length: total }, () => ({ payload: serializeEnvelope(envelopeFor('https://example.com/x')) }));
    await kafka.publish(names.requestsTopic, envelopes);
    const backlogOfReady = async () => (await parc.backlog(names.ready, 'parc-caller')).waiting;

    worker = await startParcIncoming({
      requests: kafka,
      parc,
      delayed: parc.delayedQueue(names.delayed, names.due),
      names,
      batchSize: 20,
      highWatermark: 100,
      lowWatermark: 40,
      watermarkCheckMs: 10,
    });
    // Nobody consumes ready: incoming must stop near the high watermark (plus at most the
    // batches already under way), leaving the rest in Kafka.
    await waitFor('ready at the high watermark', async () => (await backlogOfReady()) >= 100);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const held = await backlogOfReady();
    expect(held).toBeGreaterThanOrEqual(100);
    expect(held).toBeLessThanOrEqual(100 + 20 * 2);
    expect((await kafka.backlog(names.requestsTopic, 'parc-incoming.p1')).waiting).toBe(total - held);

    // A caller drains ready: incoming resumes and everything arrives.
    const caller = await parc.consume({ queue: names.ready, group: 'parc-caller', batchSize: 10, handler: async () => new Promise((r) => setTimeout(r, 5)) });
    await waitFor('all moved through', async () => (await kafka.backlog(names.requestsTopic, 'parc-incoming.p1')).waiting === 0, 5_000);
    await caller.close();
  });
});

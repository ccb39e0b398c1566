import { waitFor } from '@parc/testing';
import { globalNames, parcNames, pickParc } from '@parc/topology';
import { collect, memoryBackend, type MemoryBackend } from './pipeline.fixture';
import { startProxyStore, type Worker } from './index';

const { inbox } = globalNames();
const PARCS = ['p1', 'p2'];

describe('proxy-store', () => {
  let proxy: MemoryBackend;
  let kafka: MemoryBackend;
  let worker: Worker | undefined;

  beforeEach(() => {
    proxy = memoryBackend({ leaseMs: 200 });
    kafka = memoryBackend();
  });
  afterEach(async () => {
    await worker?.close();
    await Promise.all([proxy.close(), kafka.close()]);
  });

  const entries = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ payload: `{"v":1,"opaque":${i}}`, key: `req-${i}` }));

  it('routes each entry untouched to its Parc requests topic, keyed by request id, one publish per topic per batch', async () => {
    await proxy.publish(inbox, entries(1000));
    const publish = jest.spyOn(kafka, 'publish');
    worker = await startProxyStore({ inbox: proxy, inboxQueue: inbox, requests: kafka, activeParcIds: () => PARCS, batchSize: 500 });
    const topics = await Promise.all(PARCS.map((parc) => collect(kafka, parcNames(parc).requestsTopic)));
    const routedCount = () => topics.reduce((sum, topic) => sum + topic.messages.length, 0);
    await waitFor('all entries routed', () => routedCount() === 1000);

    PARCS.forEach((parc, index) => {
      const routed = topics[index]?.messages ?? [];
      expect(routed.length).toBeGreaterThan(400);
      for (const message of routed) {
        expect(pickParc(message.key as string, PARCS)).toBe(parc);
        expect(message.payload).toBe(`{"v":1,"opaque":${(message.key as string).slice(4)}}`);
      }
    });
    // Two batches of 500, each written as one publish per topic.
    expect(publish).toHaveBeenCalledTimes(4);
    await waitFor('inbox acknowledged', async () => (await proxy.backlog(inbox, 'proxy-store')).inFlight === 0);
    await Promise.all(topics.map((topic) => topic.close()));
  });

  it('acknowledges nothing until the publish succeeded: a failed publish means redelivery, not loss', async () => {
    await proxy.publish(inbox, entries(10));
    jest.spyOn(kafka, 'publish').mockRejectedValueOnce(new Error('broker down'));
    worker = await startProxyStore({ inbox: proxy, inboxQueue: inbox, requests: kafka, activeParcIds: () => ['p1'] });
    const topic = await collect(kafka, parcNames('p1').requestsTopic);

    await waitFor('the failed batch held, unacknowledged', async () => (await proxy.backlog(inbox, 'proxy-store')).inFlight === 10);
    expect(topic.messages).toHaveLength(0);
    await waitFor('redelivered and routed', () => topic.messages.length === 10, 5_000);
    expect(new Set(topic.messages.map((m) => m.key)).size).toBe(10);
    await waitFor('inbox acknowledged', async () => (await proxy.backlog(inbox, 'proxy-store')).inFlight === 0);
    await topic.close();
  });

  it('close() is idempotent and stops consuming', async () => {
    worker = await startProxyStore({ inbox: proxy, inboxQueue: inbox, requests: kafka, activeParcIds: () => ['p1'] });
    const first = worker.close();
    expect(worker.close()).toBe(first);
    await first;
    await proxy.publish(inbox, entries(3));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await proxy.backlog(inbox, 'proxy-store')).toMatchObject({ waiting: 3, inFlight: 0 });
  });
});

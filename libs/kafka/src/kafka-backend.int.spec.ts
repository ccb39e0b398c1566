import { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Delivery } from '@parc/queue';
import { describeQueueConformance, spawnDoomedConsumer, waitFor } from '@parc/testing';
import { createBackend, LONG_SESSION_TIMEOUT_MS, TEST_SESSION_TIMEOUT_MS } from './kafka-backend.fixture';

describeQueueConformance({
  name: `kafka (Apache Kafka ${process.env['PARC_TEST_KAFKA_VERSION'] ?? '?'} at ${process.env['KAFKA_BROKERS']})`,
  createBackend,
  startDoomedConsumer: (_backend, spec) => spawnDoomedConsumer({ ...spec, factoryModule: require.resolve('./kafka-backend.fixture') }),
  redeliveryWithinMs: TEST_SESSION_TIMEOUT_MS * 2,
  countsDeliveries: false,
  // A 30 s session: a closing member's partitions reach the others this fast only if it leaves the group.
  handBack: { createBackend: () => createBackend({ sessionTimeoutMs: LONG_SESSION_TIMEOUT_MS }), withinMs: 10_000 },
});

describe('KafkaBackend.ensureQueue', () => {
  it('lets several services create the same topic at once (they start together)', async () => {
    const backends = [createBackend(), createBackend(), createBackend()];
    const topic = `race-${Date.now().toString(36)}`;
    try {
      await Promise.all(backends.map((backend) => backend.ensureQueue(topic, { partitions: 3 })));
      await backends[0]?.publish(topic, [{ payload: 'after the race', key: 'k' }]);
      expect(await backends[0]?.backlog(topic, 'nobody-yet')).toEqual({ waiting: 1, inFlight: 0, added: 1 });
    } finally {
      await Promise.all(backends.map((backend) => backend.close()));
    }
  });
});

describe('KafkaBackend.backlog', () => {
  it('reads a topic nobody created yet as empty, as Redis reads a missing stream', async () => {
    const backend = createBackend();
    try {
      expect(await backend.backlog(`missing-${Date.now().toString(36)}`, 'g')).toEqual({ waiting: 0, inFlight: 0, added: 0 });
    } finally {
      await backend.close();
    }
  });
});

describe('KafkaConsumer.close', () => {
  /** Sockets this process holds to the broker (the client's connections). */
  const brokerSockets = (): number => {
    const port = Number((process.env['KAFKA_BROKERS'] ?? '').split(',')[0]?.split(':')[1]);
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    return handles.filter((handle) => handle instanceof Socket && handle.remotePort === port).length;
  };

  it('closes every connection when two members of one group close at once (the client refuses to leave while a stream is still closing)', async () => {
    const before = brokerSockets();
    const backend = createBackend();
    const topic = `close-${Date.now().toString(36)}`;
    try {
      await backend.ensureQueue(topic, { partitions: 1 });
      await backend.publish(topic, Array.from({ length: 40 }, (_, n) => ({ payload: `m${n}`, key: `k${n}` })));
      const seen: string[] = [];
      const members = await Promise.all([1, 2].map(() => backend.consume({ queue: topic, group: 'closing', batchSize: 5, handler: async (batch) => void seen.push(...batch.map((d) => d.payload)) })));
      await waitFor('40 records', () => seen.length >= 40);
      await delay(200);
      await Promise.all(members.map((member) => member.close()));
    } finally {
      await backend.close();
    }
    await waitFor('the connections to the broker to close', () => brokerSockets() <= before, 5_000);
  });
});

describe('KafkaConsumer.close with static membership (INSTANCE_ID, as the stages run)', () => {
  const partitionOf = (delivery: Delivery): number => Number(delivery.id.split(':')[0]);

  it("leaves the group: the closing member's partitions go to the other member at once, not after its 30 s session", async () => {
    const topic = `leave-${Date.now().toString(36)}`;
    const group = 'leaving';
    const first = createBackend({ sessionTimeoutMs: LONG_SESSION_TIMEOUT_MS, instanceId: 'host-a:8083' });
    const second = createBackend({ sessionTimeoutMs: LONG_SESSION_TIMEOUT_MS, instanceId: 'host-b:8083' });
    try {
      await first.ensureQueue(topic, { partitions: 2 });
      const seenByFirst: Delivery[] = [];
      const seenBySecond: Delivery[] = [];
      const closing = await first.consume({ queue: topic, group, batchSize: 10, handler: async (batch) => void seenByFirst.push(...batch) });
      const staying = await second.consume({ queue: topic, group, batchSize: 10, handler: async (batch) => void seenBySecond.push(...batch) });
      // Once the member that joined last has records, the last rebalance is over.
      let round = 0;
      await waitFor('both members to receive records', async () => {
        await first.publish(topic, Array.from({ length: 4 }, (_, n) => ({ payload: `warm${round}-${n}`, key: `k${round}-${n}` })));
        round++;
        return seenByFirst.length > 0 && seenBySecond.length > 0;
      }, 30_000, 250);
      // Which partition the first member owns now: where its share of a last round went.
      await first.publish(topic, Array.from({ length: 10 }, (_, n) => ({ payload: `probe-${n}`, key: `probe-${n}` })));
      const probes = (seen: Delivery[]): Delivery[] => seen.filter((d) => d.payload.startsWith('probe'));
      await waitFor('the probes', () => probes(seenByFirst).length + probes(seenBySecond).length >= 10);
      const firstPartitions = new Set(probes(seenByFirst).map(partitionOf));
      expect(firstPartitions.size).toBe(1);
      expect(probes(seenBySecond).filter((d) => firstPartitions.has(partitionOf(d)))).toEqual([]);

      const closedAt = Date.now();
      await closing.close();
      await second.publish(topic, Array.from({ length: 20 }, (_, n) => ({ payload: `after-${n}`, key: `after-${n}` })));
      await waitFor("the staying member to receive records of the closed member's partition", () => seenBySecond.some((d) => d.payload.startsWith('after') && firstPartitions.has(partitionOf(d))), 10_000, 50);
      const takenOverMs = Date.now() - closedAt;
      console.info(`[kafka leave] a static member's partition went to the other member ${takenOverMs} ms after close (session ${LONG_SESSION_TIMEOUT_MS} ms)`);
      expect(takenOverMs).toBeLessThan(10_000);
      await staying.close();
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('KafkaConsumer through rebalances', () => {
  it('loses no record while members join and leave and records stream in (read-ahead kept across a rebalance)', async () => {
    const topic = `churn-${Date.now().toString(36)}`;
    const group = 'churning';
    const total = 12_000;
    const seen = new Set<string>();
    // A slow member with a deep read-ahead: records wait in its lanes when a rebalance comes.
    const record = (batch: readonly Delivery[]): void => batch.forEach((d) => seen.add(d.payload));
    const steady = createBackend({ instanceId: 'steady:1' });
    const producer = createBackend();
    const churners: ReturnType<typeof createBackend>[] = [];
    try {
      await steady.ensureQueue(topic, { partitions: 4 });
      const member = await steady.consume({ queue: topic, group, batchSize: 50, concurrency: 1, handler: async (batch) => {
        await delay(40);
        record(batch);
      } });
      let sent = 0;
      const publishing = (async () => {
        while (sent < total) {
          await producer.publish(topic, Array.from({ length: 50 }, (_, n) => ({ payload: String(sent + n), key: String(sent + n) })));
          sent += 50;
          await delay(50);
        }
      })();
      // Members come and go every 700 ms while the records stream in (1,000/s for 12 s): each time the group rebalances.
      for (let round = 0; sent < total; round++) {
        const churner = createBackend({ instanceId: `churner:${round % 3}` });
        churners.push(churner);
        const consumer = await churner.consume({ queue: topic, group, batchSize: 50, concurrency: 1, handler: async (batch) => record(batch) });
        await delay(700);
        await consumer.close();
        await churner.close();
      }
      await publishing;
      await waitFor(`all ${total} records (missing some would mean committed past them)`, () => seen.size >= total, 60_000, 250);
      await member.close();
    } finally {
      const missing = Array.from({ length: total }, (_, n) => String(n)).filter((n) => !seen.has(n));
      if (missing.length > 0) console.info(`[kafka churn] ${missing.length} of ${total} records never handled, e.g. ${missing.slice(0, 10).join(', ')}`);
      await Promise.all([steady.close(), producer.close(), ...churners.map((c) => c.close())]);
    }
    expect(seen.size).toBe(total);
  }, 180_000);
});

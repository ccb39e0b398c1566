import { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describeQueueConformance, spawnDoomedConsumer, waitFor } from '@parc/testing';
import { createBackend, TEST_SESSION_TIMEOUT_MS } from './kafka-backend.fixture';

describeQueueConformance({
  name: `kafka (Apache Kafka ${process.env['PARC_TEST_KAFKA_VERSION'] ?? '?'} at ${process.env['KAFKA_BROKERS']})`,
  createBackend,
  startDoomedConsumer: (_backend, spec) => spawnDoomedConsumer({ ...spec, factoryModule: require.resolve('./kafka-backend.fixture') }),
  redeliveryWithinMs: TEST_SESSION_TIMEOUT_MS * 2,
  countsDeliveries: false,
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

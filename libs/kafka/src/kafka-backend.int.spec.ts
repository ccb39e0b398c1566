import { describeQueueConformance, spawnDoomedConsumer } from '@parc/testing';
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

import { describeQueueConformance, spawnDoomedConsumer } from '@parc/testing';
import { createBackend, TEST_SESSION_TIMEOUT_MS } from './kafka-backend.fixture';

describeQueueConformance({
  name: `kafka (Apache Kafka ${process.env['PARC_TEST_KAFKA_VERSION'] ?? '?'} at ${process.env['KAFKA_BROKERS']})`,
  createBackend,
  startDoomedConsumer: (_backend, spec) => spawnDoomedConsumer({ ...spec, factoryModule: require.resolve('./kafka-backend.fixture') }),
  redeliveryWithinMs: TEST_SESSION_TIMEOUT_MS * 2,
  countsDeliveries: false,
});

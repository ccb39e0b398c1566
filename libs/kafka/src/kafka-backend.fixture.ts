// Test fixture: how the conformance suite's child processes (and the spec) build a backend.
import { KafkaBackend } from './kafka-backend';

/** The broker's minimum (group.min.session.timeout.ms): a killed consumer is noticed this fast. */
export const TEST_SESSION_TIMEOUT_MS = 6_000;

export function createBackend(): KafkaBackend {
  const brokers = process.env['KAFKA_BROKERS'];
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run integration tests through jest.integration.config.js');
  return new KafkaBackend({
    brokers: brokers.split(','),
    clientId: 'parc-test',
    sessionTimeoutMs: TEST_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: 500,
    clientLogLevel: 'nothing',
  });
}

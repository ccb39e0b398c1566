// Test fixture: how the conformance suite's child processes (and the spec) build a backend.
import { KafkaBackend } from './kafka-backend';

/** The broker's minimum (group.min.session.timeout.ms): a killed consumer is noticed this fast. */
export const TEST_SESSION_TIMEOUT_MS = 6_000;

/** A session far longer than a rebalance after a member leaves: what only a leave can beat. */
export const LONG_SESSION_TIMEOUT_MS = 30_000;

/** The test backend; `instanceId` makes its consumers static members (KIP-345). */
export function createBackend(overrides: { sessionTimeoutMs?: number; instanceId?: string } = {}): KafkaBackend {
  const brokers = process.env['KAFKA_BROKERS'];
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run integration tests through jest.integration.config.js');
  return new KafkaBackend({
    brokers: brokers.split(','),
    clientId: 'parc-test',
    sessionTimeoutMs: overrides.sessionTimeoutMs ?? TEST_SESSION_TIMEOUT_MS,
    ...(overrides.instanceId === undefined ? {} : { instanceId: overrides.instanceId }),
    heartbeatIntervalMs: 500,
    clientLogLevel: 'nothing',
  });
}

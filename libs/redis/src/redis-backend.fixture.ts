// Test fixture: how the conformance suite's child processes (and the spec) build a backend.
import { RedisBackend } from './redis-backend';

export const TEST_LEASE_MS = 1_000;

/**
 * The test backend. A child process is told through its environment to be a named instance
 * (PARC_TEST_INSTANCE_ID) with another lease (PARC_TEST_LEASE_MS).
 */
export function createBackend(overrides: { instanceId?: string; leaseMs?: number; blockMs?: number } = {}): RedisBackend {
  const url = process.env['REDIS_URL'];
  if (!url) throw new Error('REDIS_URL is not set: run integration tests through jest.integration.config.js');
  const instanceId = overrides.instanceId ?? process.env['PARC_TEST_INSTANCE_ID'];
  const leaseMs = overrides.leaseMs ?? Number(process.env['PARC_TEST_LEASE_MS'] ?? TEST_LEASE_MS);
  return new RedisBackend({ url, connectionName: 'parc-test', leaseMs, blockMs: overrides.blockMs ?? 200, ...(instanceId ? { instanceId } : {}) });
}

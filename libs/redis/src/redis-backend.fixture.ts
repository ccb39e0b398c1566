// Test fixture: how the conformance suite's child processes (and the spec) build a backend.
import { RedisBackend } from './redis-backend';

export const TEST_LEASE_MS = 1_000;

export function createBackend(): RedisBackend {
  const url = process.env['REDIS_URL'];
  if (!url) throw new Error('REDIS_URL is not set: run integration tests through jest.integration.config.js');
  return new RedisBackend({ url, connectionName: 'parc-test', leaseMs: TEST_LEASE_MS, blockMs: 200 });
}

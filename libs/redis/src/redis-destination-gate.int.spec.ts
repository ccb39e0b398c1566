import { randomBytes } from 'node:crypto';
import { describeGateConformance } from '@parc/testing';
import { RedisBackend } from './redis-backend';

describeGateConformance({
  name: `redis (Redis ${process.env['PARC_TEST_REDIS_VERSION'] ?? '?'} at ${process.env['REDIS_URL']})`,
  create: ({ settings, now, random }) => {
    const url = process.env['REDIS_URL'];
    if (!url) throw new Error('REDIS_URL is not set: run integration tests through jest.integration.config.js');
    // A prefix of its own per test: the gate's keys (active set, restricted set) are shared per prefix.
    const backend = new RedisBackend({ url, connectionName: 'parc-test', keyPrefix: `gate-${randomBytes(4).toString('hex')}` });
    return { gate: backend.destinationGate({ settings, now, random }), close: () => backend.close() };
  },
});

import { randomBytes } from 'node:crypto';
import { describeStoreConformance } from '@parc/testing';
import { createBackend } from './redis-backend.fixture';

describeStoreConformance({
  name: `redis (Redis ${process.env['PARC_TEST_REDIS_VERSION'] ?? '?'} at ${process.env['REDIS_URL']})`,
  create: () => {
    const backend = createBackend();
    return { backend, ledger: backend.ledger(), idempotency: backend.idempotency(), deadLetters: backend.deadLetters(), decisionLog: backend.decisionLog(), parcRegistry: backend.parcRegistry() };
  },
  // Other suites share this Redis and the default prefix: a prefix per ledger keeps its batch index to itself.
  expiringLedger: ({ backend }, retentionMs) => backend.ledger({ prefix: `parc-test-${randomBytes(5).toString('hex')}`, retentionMs }),
});

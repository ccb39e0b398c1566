import { describeStoreConformance } from '@parc/testing';
import { createBackend } from './redis-backend.fixture';

describeStoreConformance({
  name: `redis (Redis ${process.env['PARC_TEST_REDIS_VERSION'] ?? '?'} at ${process.env['REDIS_URL']})`,
  create: () => {
    const backend = createBackend();
    return { backend, ledger: backend.ledger(), idempotency: backend.idempotency(), deadLetters: backend.deadLetters(), decisionLog: backend.decisionLog(), parcRegistry: backend.parcRegistry() };
  },
});

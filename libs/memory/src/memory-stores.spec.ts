import { describeStoreConformance } from '@parc/testing';
import { MemoryBackend } from './memory-backend';

describeStoreConformance({
  name: 'memory',
  create: () => {
    const backend = new MemoryBackend({ leaseMs: 300, maxWaitMs: 100 });
    return { backend, ledger: backend.ledger(), idempotency: backend.idempotency(), deadLetters: backend.deadLetters(), decisionLog: backend.decisionLog(), parcRegistry: backend.parcRegistry() };
  },
});

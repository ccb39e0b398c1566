export { MemoryBackend, type MemoryBackendOptions } from './memory-backend';
export { MemoryLedger } from './memory-ledger';
export { MemoryIdempotencyStore } from './memory-idempotency';
export { MemoryDeadLetterStore } from './memory-dead-letters';
export { MemoryDecisionLog } from './memory-decision-log';
export { MemoryParcRegistry } from './memory-parc-registry';
export { MemoryDestinationGate, type MemoryDestinationGateOptions } from './memory-destination-gate';

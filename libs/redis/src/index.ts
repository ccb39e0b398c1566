export { RedisBackend, type RedisBackendOptions } from './redis-backend';
export { RedisLedger, type RedisLedgerOptions } from './redis-ledger';
export { RedisIdempotencyStore } from './redis-idempotency';
export { RedisDeadLetterStore } from './redis-dead-letters';
export { RedisDecisionLog } from './redis-decision-log';
export { RedisParcRegistry } from './redis-parc-registry';
export { RedisDestinationGate, type RedisDestinationGateOptions } from './redis-destination-gate';

import type { DelayedQueueFactory, QueueBackend } from '@parc/queue';
import type { DeadLetterStore, DecisionLog, DestinationGate, GateSettings, IdempotencyStore, ParcRegistry, RequestLedger } from '@parc/store';

/** A backend that holds queues, delayed sets and the stores: Redis in production, memory embedded. */
export type StoreBackend = QueueBackend &
  DelayedQueueFactory & {
    ledger(options?: { readonly retentionMs?: number }): RequestLedger;
    idempotency(): IdempotencyStore;
    deadLetters(): DeadLetterStore;
    decisionLog(): DecisionLog;
    parcRegistry(): ParcRegistry;
    destinationGate(options?: { readonly settings?: GateSettings }): DestinationGate;
  };

/**
 * Backends a stage may be given instead of connecting its own (the embedded mode passes one memory
 * backend for every role). Injected backends are pinged for readiness but not closed by the stage:
 * whoever made them closes them.
 */
export interface InjectedBackends {
  readonly proxyRedis?: StoreBackend;
  readonly parcRedis?: StoreBackend;
  readonly kafka?: QueueBackend;
}

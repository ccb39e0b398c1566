import { ParcError } from '@parc/errors';
import {
  startPollingConsumer,
  uniqueConsumerName,
  type ConsumeOptions,
  type DelayedQueue,
  type DelayedQueueFactory,
  type OutboundMessage,
  type PollingConsumer,
  type QueueBackend,
  type QueueBacklog,
} from '@parc/queue';
import { MemoryLog } from './memory-log';
import { MemoryLogSource } from './memory-log-source';
import { MemoryDelayedQueue } from './memory-delayed-queue';
import { MemoryLedger } from './memory-ledger';
import { MemoryIdempotencyStore } from './memory-idempotency';
import { MemoryDeadLetterStore } from './memory-dead-letters';
import { MemoryDecisionLog } from './memory-decision-log';
import { MemoryParcRegistry } from './memory-parc-registry';
import { MemoryDestinationGate, type MemoryDestinationGateOptions } from './memory-destination-gate';

export interface MemoryBackendOptions {
  /** How long a delivered batch stays leased to its consumer without renewal (default 30 s). */
  readonly leaseMs?: number;
  /** Longest a fetch waits for new messages before the loop looks again (default 1 s). */
  readonly maxWaitMs?: number;
  /** Injectable clock for lease and due-time decisions. */
  readonly now?: () => number;
}

/**
 * Queues in process memory, honouring the same contracts as Redis and Kafka (acknowledgement,
 * redelivery after a lease, delayed sets) for the embedded mode and fast tests. Nothing survives
 * the process: this is not a durable backend.
 */
export class MemoryBackend implements QueueBackend, DelayedQueueFactory {
  readonly kind = 'memory' as const;
  private readonly logs = new Map<string, MemoryLog>();
  private readonly delayedQueues = new Map<string, MemoryDelayedQueue>();
  private readonly consumers = new Set<PollingConsumer>();
  private readonly leaseMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private closed = false;
  private memoryLedger: MemoryLedger | undefined;
  private memoryIdempotency: MemoryIdempotencyStore | undefined;
  private memoryDeadLetters: MemoryDeadLetterStore | undefined;
  private memoryDecisionLog: MemoryDecisionLog | undefined;
  private memoryParcRegistry: MemoryParcRegistry | undefined;
  private memoryGate: MemoryDestinationGate | undefined;

  constructor(options: MemoryBackendOptions = {}) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxWaitMs = options.maxWaitMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  async ensureQueue(queue: string): Promise<void> {
    this.assertOpen();
    this.log(queue);
  }

  async publish(queue: string, messages: readonly OutboundMessage[]): Promise<void> {
    this.append(queue, messages);
  }

  /** Publishes synchronously: the memory stores use it to stay atomic. */
  append(queue: string, messages: readonly OutboundMessage[]): void {
    this.assertOpen();
    if (messages.length > 0) this.log(queue).append(messages);
  }

  /**
   * The request ledger, sharing this backend's queues (for the inbox and callback queues) and its
   * idempotency store (guarded accepts check and record keys in the same step).
   */
  ledger(): MemoryLedger {
    this.memoryLedger ??= new MemoryLedger((queue, messages) => this.append(queue, messages), this.idempotency(), this.now);
    return this.memoryLedger;
  }

  /** The idempotency store: one per backend, shared with the ledger. */
  idempotency(): MemoryIdempotencyStore {
    this.memoryIdempotency ??= new MemoryIdempotencyStore(this.now);
    return this.memoryIdempotency;
  }

  decisionLog(): MemoryDecisionLog {
    this.memoryDecisionLog ??= new MemoryDecisionLog();
    return this.memoryDecisionLog;
  }

  parcRegistry(): MemoryParcRegistry {
    this.memoryParcRegistry ??= new MemoryParcRegistry();
    return this.memoryParcRegistry;
  }

  /**
   * The destination gate: one per backend, shared by every caller of this process as the Redis
   * gate is by every caller of every Parc. The first call's options win; later ones are ignored,
   * so a caller cannot end up with limits and breakers of its own. The clock defaults to the backend's.
   */
  destinationGate(options: MemoryDestinationGateOptions = {}): MemoryDestinationGate {
    this.memoryGate ??= new MemoryDestinationGate({ ...options, now: options.now ?? this.now });
    return this.memoryGate;
  }

  deadLetters(): MemoryDeadLetterStore {
    this.memoryDeadLetters ??= new MemoryDeadLetterStore((queue, messages) => this.append(queue, messages));
    return this.memoryDeadLetters;
  }

  async consume(options: ConsumeOptions): Promise<PollingConsumer> {
    this.assertOpen();
    const log = this.log(options.queue);
    const source = new MemoryLogSource(log, options.group, uniqueConsumerName('mem'), this.leaseMs, this.maxWaitMs);
    const consumer = startPollingConsumer(source, options, {
      leaseMs: this.leaseMs,
      onClosed: () => this.consumers.delete(consumer),
    });
    this.consumers.add(consumer);
    return consumer;
  }

  async backlog(queue: string, group: string): Promise<QueueBacklog> {
    return this.log(queue).backlog(group);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  /** The delayed set called `name`: the same set for every caller, as in Redis. */
  delayedQueue(name: string, targetQueue: string): DelayedQueue {
    let delayed = this.delayedQueues.get(name);
    if (!delayed) {
      delayed = new MemoryDelayedQueue(name, targetQueue, (messages) => this.publish(targetQueue, messages));
      this.delayedQueues.set(name, delayed);
    }
    return delayed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
  }

  private log(queue: string): MemoryLog {
    let log = this.logs.get(queue);
    if (!log) {
      log = new MemoryLog(this.now);
      this.logs.set(queue, log);
    }
    return log;
  }

  private assertOpen(): void {
    if (this.closed) throw new ParcError('QUEUE_CLOSED', 'The memory queue backend was used after close().');
  }
}

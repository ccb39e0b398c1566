import { ParcError } from '@parc/errors';
import {
  startPollingConsumer,
  uniqueConsumerName,
  type ConsumeOptions,
  type DelayedQueue,
  type DelayedQueueFactory,
  type Delivery,
  type OutboundMessage,
  type PollingConsumer,
  type QueueBackend,
  type QueueBacklog,
} from '@parc/queue';
import { MemoryLog } from './memory-log';
import { MemoryDelayedQueue } from './memory-delayed-queue';

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
  private readonly consumers = new Set<PollingConsumer>();
  private readonly leaseMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private closed = false;

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
    this.assertOpen();
    if (messages.length > 0) this.log(queue).append(messages);
  }

  async consume(options: ConsumeOptions): Promise<PollingConsumer> {
    this.assertOpen();
    const log = this.log(options.queue);
    const consumerName = uniqueConsumerName('mem');
    const consumer = startPollingConsumer(
      {
        fetch: (max, signal) => this.fetch(log, options.group, consumerName, max, signal),
        ack: async (batch) => log.ack(options.group, batch.map((delivery) => delivery.id)),
        renew: async (ids) => log.renew(options.group, ids, this.leaseMs),
        release: async () => {
          this.consumers.delete(consumer);
        },
      },
      options,
      { renewIntervalMs: Math.max(10, Math.floor(this.leaseMs / 3)) },
    );
    this.consumers.add(consumer);
    return consumer;
  }

  async backlog(queue: string, group: string): Promise<QueueBacklog> {
    return this.log(queue).backlog(group);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  delayedQueue(name: string, targetQueue: string): DelayedQueue {
    return new MemoryDelayedQueue(name, targetQueue, (messages) => this.publish(targetQueue, messages));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
  }

  private async fetch(log: MemoryLog, group: string, consumer: string, max: number, signal: AbortSignal): Promise<Delivery[]> {
    const taken = log.take(group, consumer, max, this.leaseMs);
    if (taken.length > 0 || signal.aborted) return taken;
    // Nothing now: sleep until a publish, the earliest lease expiry, close, or maxWaitMs.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(this.maxWaitMs, log.msUntilNextExpiry(group)));
      const unsubscribe = log.onAppend(done);
      signal.addEventListener('abort', done, { once: true });
    });
    return signal.aborted ? [] : log.take(group, consumer, max, this.leaseMs);
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

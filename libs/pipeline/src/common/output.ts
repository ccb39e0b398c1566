import type { DelayedItem, DelayedQueue, OutboundMessage, QueueBackend } from '@parc/queue';

/**
 * What one batch produces, collected while the batch is handled and written by `flush()`: one
 * publish per destination queue, one schedule per delayed set, plus other writes (ledger
 * updates, dead letters) — all at once, so a batch costs one round trip per destination.
 */
export class BatchOutput {
  private readonly published = new Map<QueueBackend, Map<string, OutboundMessage[]>>();
  private readonly scheduled = new Map<DelayedQueue, DelayedItem[]>();
  private readonly writes: (() => Promise<unknown>)[] = [];
  private settledListeners: ((error?: unknown) => void)[] = [];

  publish(backend: QueueBackend, queue: string, message: OutboundMessage): void {
    let queues = this.published.get(backend);
    if (!queues) this.published.set(backend, (queues = new Map()));
    const list = queues.get(queue);
    if (list) list.push(message);
    else queues.set(queue, [message]);
  }

  schedule(delayed: DelayedQueue, item: DelayedItem): void {
    const list = this.scheduled.get(delayed);
    if (list) list.push(item);
    else this.scheduled.set(delayed, [item]);
  }

  /** Another write that must be durable before the batch is acknowledged. */
  write(task: () => Promise<unknown>): void {
    this.writes.push(task);
  }

  /** Called once with the batch's fate: durable (no error), or failed and left for redelivery (spans end here). */
  onSettled(listener: (error?: unknown) => void): void {
    this.settledListeners.push(listener);
  }

  /** Tells the listeners how the batch ended; only the first call counts. */
  settle(error?: unknown): void {
    const listeners = this.settledListeners;
    this.settledListeners = [];
    for (const listener of listeners) listener(error);
  }

  /**
   * Resolves once every collected write is durable; rejects if any failed (nothing is acked).
   * Either way the batch is settled.
   */
  async flush(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const [backend, queues] of this.published) {
      for (const [queue, messages] of queues) pending.push(backend.publish(queue, messages));
    }
    for (const [delayed, items] of this.scheduled) pending.push(delayed.schedule(items));
    for (const task of this.writes) pending.push(task());
    try {
      await Promise.all(pending);
    } catch (error) {
      this.settle(error);
      throw error;
    }
    this.settle();
  }
}

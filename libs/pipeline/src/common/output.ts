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

  /** Resolves once every collected write is durable; rejects if any failed (nothing is acked). */
  async flush(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const [backend, queues] of this.published) {
      for (const [queue, messages] of queues) pending.push(backend.publish(queue, messages));
    }
    for (const [delayed, items] of this.scheduled) pending.push(delayed.schedule(items));
    for (const task of this.writes) pending.push(task());
    await Promise.all(pending);
  }
}

import type { DelayedItem, DelayedQueue, OutboundMessage } from '@parc/queue';

/** A delayed set in memory; promotion publishes to the target queue synchronously, so it is atomic. */
export class MemoryDelayedQueue implements DelayedQueue {
  private readonly items = new Map<string, DelayedItem>();

  constructor(
    readonly name: string,
    readonly targetQueue: string,
    private readonly publish: (messages: readonly OutboundMessage[]) => Promise<void>,
  ) {}

  async schedule(items: readonly DelayedItem[]): Promise<void> {
    for (const item of items) this.items.set(item.id, item);
  }

  async promoteDue(nowMs: number, limit: number): Promise<number> {
    const due = [...this.items.values()]
      .filter((item) => item.dueAtMs <= nowMs)
      .sort((a, b) => a.dueAtMs - b.dueAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit);
    // The publish call appends synchronously; deleting before awaiting it keeps a concurrent
    // promoteDue from moving the same items twice.
    const published = this.publish(due.map((item) => ({ payload: item.payload, key: item.id })));
    for (const item of due) this.items.delete(item.id);
    await published;
    return due.length;
  }

  async remove(ids: readonly string[]): Promise<number> {
    return ids.filter((id) => this.items.delete(id)).length;
  }

  async expedite(ids: readonly string[], dueAtMs: number): Promise<number> {
    let moved = 0;
    for (const id of ids) {
      const item = this.items.get(id);
      if (item && item.dueAtMs > dueAtMs) {
        this.items.set(id, { ...item, dueAtMs });
        moved++;
      }
    }
    return moved;
  }

  async size(): Promise<number> {
    return this.items.size;
  }

  async countDueBy(atMs: number): Promise<number> {
    let count = 0;
    for (const item of this.items.values()) if (item.dueAtMs <= atMs) count++;
    return count;
  }
}

/**
 * System B's queue: an in-memory FIFO drained by a fixed number of slots. Nothing is durable:
 * it is the upper bound the durable systems are compared with.
 */

/** A FIFO with O(1) push and shift (Array#shift is O(n) on long queues). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined; // let the item be collected
    // Compact once the consumed prefix dominates, keeping memory proportional to the backlog.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * Runs `work` on queued items, at most `slots` at a time, in arrival order. `work` must not
 * reject (a rejection is reported to `onError` and the slot moves on).
 */
export class WorkPool<T> {
  private readonly queue = new Fifo<T>();
  private active = 0;
  private closed = false;
  private idle: (() => void) | undefined;

  constructor(
    private readonly slots: number,
    private readonly work: (item: T) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Items waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Items being worked on. */
  get running(): number {
    return this.active;
  }

  /** Queues `items` and starts as many as there are free slots. Ignored after `close()`. */
  push(items: Iterable<T>): void {
    if (this.closed) return;
    for (const item of items) this.queue.push(item);
    while (this.active < this.slots && this.queue.length > 0) this.run(this.queue.shift() as T);
  }

  /** Starts no more items (the waiting ones are dropped) and resolves once the running ones ended. */
  close(): Promise<void> {
    this.closed = true;
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }

  private run(item: T): void {
    this.active++;
    this.work(item)
      .catch(this.onError)
      .finally(() => {
        this.active--;
        const next = this.closed ? undefined : this.queue.shift();
        if (next !== undefined) this.run(next);
        else if (this.active === 0) this.idle?.();
      });
  }
}

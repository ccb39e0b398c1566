import type { Delivery, PollingSource } from '@parc/queue';
import type { MemoryLog } from './memory-log';

/** The memory side of a polling consumer: one group member reading one in-memory log. */
export class MemoryLogSource implements PollingSource {
  constructor(
    private readonly log: MemoryLog,
    private readonly group: string,
    private readonly consumer: string,
    private readonly leaseMs: number,
    private readonly maxWaitMs: number,
  ) {}

  async fetch(max: number, signal: AbortSignal): Promise<Delivery[]> {
    const taken = this.log.take(this.group, this.consumer, max, this.leaseMs);
    if (taken.length > 0 || signal.aborted) return taken;
    // Nothing now: sleep until a publish or a hand-back, the earliest lease expiry, close, or maxWaitMs.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(this.maxWaitMs, this.log.msUntilNextExpiry(this.group)));
      const unsubscribe = this.log.onAvailable(done);
      signal.addEventListener('abort', done, { once: true });
    });
    return signal.aborted ? [] : this.log.take(this.group, this.consumer, max, this.leaseMs);
  }

  async ack(batch: readonly Delivery[]): Promise<void> {
    this.log.ack(this.group, batch.map((delivery) => delivery.id));
  }

  async renew(ids: readonly string[]): Promise<void> {
    this.log.renew(this.group, ids, this.leaseMs);
  }

  /** Ends this consumer's leases at once: the group's other consumers, waiting or not, take them next. */
  async handBack(ids?: readonly string[]): Promise<void> {
    this.log.handBack(this.group, this.consumer, ids);
  }

  async release(): Promise<void> {
    // Nothing to release: the log belongs to the backend.
  }
}

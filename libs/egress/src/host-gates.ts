import { onAbort } from './abort';

interface Waiter {
  readonly grant: () => void;
}

interface HostState {
  active: number;
  readonly queue: Waiter[];
}

/**
 * A concurrency cap per host with a first-in-first-out queue of waiters. Slots are handed
 * directly from a finishing call to the oldest waiter, so a burst of new calls can never
 * overtake calls that were already waiting.
 */
export class HostGates {
  private readonly hosts = new Map<string, HostState>();
  private readonly idleWaiters: Array<() => void> = [];
  private activeCount = 0;
  private waitingCount = 0;

  constructor(private readonly limit: number) {}

  /** Calls holding a slot, all hosts together. */
  get active(): number {
    return this.activeCount;
  }

  /** Calls queued for a slot, all hosts together. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Takes a slot for `host` if one is free right now (no waiter is ahead, by construction). */
  tryAcquire(host: string): boolean {
    const state = this.hosts.get(host);
    if (state === undefined) {
      this.hosts.set(host, { active: 1, queue: [] });
    } else if (state.active < this.limit) {
      state.active++;
    } else {
      return false;
    }
    this.activeCount++;
    return true;
  }

  /**
   * Queues for a slot for `host` (after `tryAcquire` failed). Rejects with the reason of the
   * first of `signals` to abort; the waiter then leaves the queue without taking a slot.
   */
  wait(host: string, ...signals: readonly (AbortSignal | undefined)[]): Promise<void> {
    const state = this.hosts.get(host);
    if (state === undefined) throw new Error(`HostGates.wait(${host}) without a prior failed tryAcquire`);
    const given = signals.filter((signal): signal is AbortSignal => signal !== undefined);
    return new Promise<void>((resolve, reject) => {
      const aborted = given.find((signal) => signal.aborted);
      if (aborted) return reject(aborted.reason);
      const unsubscribeAll = (): void => {
        for (const unsubscribe of unsubscribes) unsubscribe();
      };
      const leave = (reason: unknown): void => {
        unsubscribeAll();
        const index = state.queue.indexOf(waiter);
        if (index < 0) return;
        state.queue.splice(index, 1);
        this.waitingCount--;
        this.notifyIfIdle();
        reject(reason);
      };
      const unsubscribes = given.map((signal) => onAbort(signal, () => leave(signal.reason)));
      const waiter: Waiter = {
        grant: () => {
          unsubscribeAll();
          resolve();
        },
      };
      state.queue.push(waiter);
      this.waitingCount++;
    });
  }

  /** Gives the slot back: to the oldest waiter for the host if there is one, else frees it. */
  release(host: string): void {
    const state = this.hosts.get(host);
    if (state === undefined) throw new Error(`HostGates.release(${host}) without a slot`);
    const next = state.queue.shift();
    if (next) {
      this.waitingCount--;
      next.grant();
      return;
    }
    state.active--;
    this.activeCount--;
    if (state.active === 0) this.hosts.delete(host);
    this.notifyIfIdle();
  }

  /** Resolves once no call holds or waits for a slot. */
  whenIdle(): Promise<void> {
    if (this.activeCount + this.waitingCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIfIdle(): void {
    if (this.activeCount + this.waitingCount > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

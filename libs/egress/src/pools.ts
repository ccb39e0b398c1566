import { performance } from 'node:perf_hooks';
import type { Pool } from 'undici';

interface PoolEntry {
  readonly pool: Pool;
  active: number;
  lastUsedAt: number;
}

/**
 * One keep-alive undici Pool per origin, created on first use and closed once it has had no
 * call for `idleTimeoutMs` (a caller that talks to many hosts would otherwise keep a pool per
 * host it ever met). Sweeps run on an unref'd timer that only exists while pools do.
 */
export class OriginPools {
  private readonly entries = new Map<string, PoolEntry>();
  /** Closes in progress; a failed one stays here so that closeAll() reports it. */
  private readonly closing = new Set<Promise<void>>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly create: (origin: string) => Pool,
    private readonly idleTimeoutMs: number,
  ) {}

  /** Pools currently open. */
  get size(): number {
    return this.entries.size;
  }

  /** The origin's pool, marked busy until the matching `release`. */
  acquire(origin: string): Pool {
    let entry = this.entries.get(origin);
    if (entry === undefined) {
      entry = { pool: this.create(origin), active: 0, lastUsedAt: 0 };
      this.entries.set(origin, entry);
      this.startSweeper();
    }
    entry.active++;
    return entry.pool;
  }

  /** Ends one use of the origin's pool; the idle clock starts when the last use ends. */
  release(origin: string): void {
    const entry = this.entries.get(origin);
    if (entry === undefined) return;
    entry.active--;
    entry.lastUsedAt = performance.now();
  }

  /** Closes every pool (each waits for its requests) and waits for earlier idle closes. */
  async closeAll(): Promise<void> {
    this.stopSweeper();
    for (const origin of [...this.entries.keys()]) this.retire(origin);
    await Promise.all([...this.closing]);
  }

  private retire(origin: string): void {
    const entry = this.entries.get(origin);
    if (entry === undefined) return;
    this.entries.delete(origin);
    const closed = entry.pool.close();
    this.closing.add(closed);
    closed.then(
      () => this.closing.delete(closed),
      () => undefined, // kept in `closing`: closeAll() rethrows it
    );
  }

  private sweep(): void {
    const now = performance.now();
    for (const [origin, entry] of this.entries) {
      if (entry.active === 0 && now - entry.lastUsedAt >= this.idleTimeoutMs) this.retire(origin);
    }
    if (this.entries.size === 0) this.stopSweeper();
  }

  private startSweeper(): void {
    if (this.sweeper !== undefined) return;
    // Half the idle time: a pool closes between idleTimeoutMs and 1.5 × idleTimeoutMs after its last call.
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, this.idleTimeoutMs / 2));
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

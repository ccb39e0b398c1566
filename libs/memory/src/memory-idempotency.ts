import type { AcceptGuard, AcceptOutcome, CompletedEntry, IdempotencyStore, StreamClaim, StreamPosition } from '@parc/store';

interface Expiring {
  readonly expiresAt: number;
}

interface Answer extends CompletedEntry, Expiring {}

interface Lock extends Expiring {
  readonly owner: string;
}

interface Progress extends StreamPosition, Expiring {
  readonly batchId: string;
  /** Appended to by each chunk (copying it per chunk would cost quadratic time on long streams). */
  readonly ids: string[];
}

/**
 * Idempotency keys in process memory, with the layout of the Redis store: an answer, a stream lock
 * and a stream's progress per key, each expiring lazily when looked at. The memory ledger shares
 * this object ({@link admit} and {@link record} around its accept, with no await in between), so a
 * guarded accept is one atomic step here as it is in Redis.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly answers = new Map<string, Answer>();
  private readonly locks = new Map<string, Lock>();
  private readonly progress = new Map<string, Progress>();

  constructor(private readonly now: () => number = Date.now) {}

  async claimStream(key: string, owner: string, lockMs: number): Promise<StreamClaim> {
    const answer = this.live(this.answers, key);
    if (answer) return { kind: 'completed', entry: { fingerprint: answer.fingerprint, response: answer.response } };
    if (this.live(this.locks, key)) return { kind: 'in_progress' };
    this.locks.set(key, { owner, expiresAt: this.now() + lockMs });
    const progress = this.live(this.progress, key);
    if (!progress) return { kind: 'claimed' };
    const { batchId, line, digest, ids } = progress;
    return { kind: 'claimed', resume: { batchId, line, digest, ids: [...ids] } };
  }

  async renewStream(key: string, owner: string, lockMs: number): Promise<boolean> {
    if (!this.holds(key, owner)) return false;
    this.locks.set(key, { owner, expiresAt: this.now() + lockMs });
    return true;
  }

  async completeStream(key: string, owner: string, { fingerprint, response }: CompletedEntry, ttlMs: number): Promise<boolean> {
    if (!this.holds(key, owner)) return false;
    this.answers.set(key, { fingerprint, response, expiresAt: this.now() + ttlMs });
    this.locks.delete(key);
    this.progress.delete(key);
    return true;
  }

  async releaseStream(key: string, owner: string): Promise<void> {
    if (this.holds(key, owner)) this.locks.delete(key);
  }

  /** The ledger's check before a guarded accept: undefined to go ahead, else the outcome (nothing written). */
  admit(guard: AcceptGuard): Exclude<AcceptOutcome, { kind: 'accepted' }> | undefined {
    if (guard.kind === 'stream') return this.holds(guard.key, guard.owner) ? undefined : { kind: 'lost' };
    const answer = this.live(this.answers, guard.key);
    if (answer) return answer.fingerprint === guard.fingerprint ? { kind: 'replay', response: answer.response } : { kind: 'mismatch' };
    if (this.live(this.locks, guard.key)) return { kind: 'in_progress' };
    // A stream that died left progress: a batch body can never be that stream.
    return this.live(this.progress, guard.key) ? { kind: 'mismatch' } : undefined;
  }

  /** The ledger's record after a guarded accept: the batch's answer, or the stream's progress and ids. */
  record(guard: AcceptGuard, ids: readonly string[]): void {
    const expiresAt = this.now() + guard.ttlMs;
    if (guard.kind === 'batch') {
      this.answers.set(guard.key, { fingerprint: guard.fingerprint, response: guard.response, expiresAt });
      return;
    }
    const accepted = this.live(this.progress, guard.key)?.ids ?? [];
    for (const id of ids) accepted.push(id);
    this.progress.set(guard.key, { batchId: guard.batchId, ...guard.position, ids: accepted, expiresAt });
  }

  private holds(key: string, owner: string): boolean {
    return this.live(this.locks, key)?.owner === owner;
  }

  private live<T extends Expiring>(map: Map<string, T>, key: string): T | undefined {
    const value = map.get(key);
    if (value && value.expiresAt <= this.now()) {
      map.delete(key);
      return undefined;
    }
    return value;
  }
}

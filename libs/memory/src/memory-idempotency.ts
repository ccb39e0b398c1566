import type { IdempotencyClaim, IdempotencyStore } from '@parc/store';

interface Held {
  readonly fingerprint: string;
  readonly response?: string;
  readonly expiresAt: number;
}

/** Idempotency keys in process memory; entries expire lazily when looked at. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly keys = new Map<string, Held>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyClaim> {
    const held = this.live(key);
    if (!held) {
      this.keys.set(key, { fingerprint, expiresAt: this.now() + ttlMs });
      return { kind: 'claimed' };
    }
    if (held.response === undefined) return { kind: 'in_progress' };
    return held.fingerprint === fingerprint ? { kind: 'replay', response: held.response } : { kind: 'mismatch' };
  }

  async lookup(key: string): Promise<{ fingerprint: string; response: string } | undefined> {
    const held = this.live(key);
    return held?.response === undefined ? undefined : { fingerprint: held.fingerprint, response: held.response };
  }

  async complete(key: string, fingerprint: string, response: string, ttlMs: number): Promise<void> {
    this.keys.set(key, { fingerprint, response, expiresAt: this.now() + ttlMs });
  }

  async release(key: string): Promise<void> {
    this.keys.delete(key);
  }

  private live(key: string): Held | undefined {
    const held = this.keys.get(key);
    if (held && held.expiresAt <= this.now()) {
      this.keys.delete(key);
      return undefined;
    }
    return held;
  }
}

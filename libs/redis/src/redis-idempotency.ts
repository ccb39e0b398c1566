import type { Redis } from 'ioredis';
import type { IdempotencyClaim, IdempotencyStore } from '@parc/store';
import { CLAIM_1 } from './scripts/store-scripts.lua';
import { defineScripts, type ScriptRunner } from './scripts/define';

/** Idempotency keys in Redis: one hash per key, expiring with its retention. */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly scripts: ScriptRunner<'claim'>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'parc',
  ) {
    this.scripts = defineScripts(redis, { claim: CLAIM_1 });
  }

  async claim(key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyClaim> {
    const [kind, response] = (await this.scripts.claim([this.key(key)], [fingerprint, ttlMs])) as [string, string?];
    if (kind === 'replay') return { kind, response: response ?? '' };
    return { kind: kind as 'claimed' | 'in_progress' | 'mismatch' };
  }

  async lookup(key: string): Promise<{ fingerprint: string; response: string } | undefined> {
    const [fingerprint, response] = await this.redis.hmget(this.key(key), 'f', 'r');
    return fingerprint && response ? { fingerprint, response } : undefined;
  }

  async complete(key: string, fingerprint: string, response: string, ttlMs: number): Promise<void> {
    await this.redis.multi().hset(this.key(key), 'f', fingerprint, 'r', response).pexpire(this.key(key), ttlMs).exec();
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  private key(key: string): string {
    return `${this.prefix}:idem:${key}`;
  }
}

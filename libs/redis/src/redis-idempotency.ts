import type { Redis } from 'ioredis';
import type { AcceptGuard, CompletedEntry, IdempotencyStore, StreamClaim } from '@parc/store';
import { CLAIM_STREAM_3, COMPLETE_STREAM_3, RELEASE_STREAM_1, RENEW_STREAM_1 } from './scripts/store-scripts.lua';
import { defineScripts, type ScriptRunner } from './scripts/define';

/**
 * The Redis keys of one idempotency key: its entry hash (`f`, `r` once completed; `b`, `l`, `d` while
 * a stream is under way), its stream lock (the owner token, expiring by itself) and the ids a stream
 * accepted so far. Each kind has its own namespace, so no client key can name another's lock.
 */
export function idempotencyKeys(prefix: string, key: string): { readonly entry: string; readonly lock: string; readonly ids: string } {
  return { entry: `${prefix}:idem:${key}`, lock: `${prefix}:idem-lock:${key}`, ids: `${prefix}:idem-ids:${key}` };
}

/** The keys and values a guard adds to the ledger's accept-N call (see scripts/ledger-scripts.lua.ts). */
export function guardArguments(prefix: string, guard: AcceptGuard | undefined): { keys: string[]; args: (string | number)[] } {
  if (guard === undefined) return { keys: [], args: ['none'] };
  const { entry, lock, ids } = idempotencyKeys(prefix, guard.key);
  const args =
    guard.kind === 'batch'
      ? ['batch', guard.fingerprint, guard.response, guard.ttlMs]
      : ['stream', guard.owner, guard.batchId, guard.position.line, guard.position.digest, guard.ttlMs];
  return { keys: [entry, lock, ids], args };
}

/** The stream side of idempotency keys in Redis (the batch side is the ledger's accept-N). */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly scripts: ScriptRunner<'claimStream' | 'renewStream' | 'completeStream' | 'releaseStream'>;

  constructor(
    redis: Redis,
    private readonly prefix = 'parc',
  ) {
    this.scripts = defineScripts(redis, {
      claimStream: CLAIM_STREAM_3,
      renewStream: RENEW_STREAM_1,
      completeStream: COMPLETE_STREAM_3,
      releaseStream: RELEASE_STREAM_1,
    });
  }

  async claimStream(key: string, owner: string, lockMs: number): Promise<StreamClaim> {
    const { entry, lock, ids } = idempotencyKeys(this.prefix, key);
    const reply = (await this.scripts.claimStream([entry, lock, ids], [owner, lockMs])) as [string, ...unknown[]];
    const [kind, first, second, third, list] = reply;
    if (kind === 'completed') return { kind, entry: { fingerprint: String(first), response: String(second) } };
    if (kind === 'in_progress') return { kind };
    if (first === undefined) return { kind: 'claimed' };
    return { kind: 'claimed', resume: { batchId: String(first), line: Number(second), digest: String(third), ids: list as string[] } };
  }

  async renewStream(key: string, owner: string, lockMs: number): Promise<boolean> {
    return (await this.scripts.renewStream([idempotencyKeys(this.prefix, key).lock], [owner, lockMs])) === 1;
  }

  async completeStream(key: string, owner: string, { fingerprint, response }: CompletedEntry, ttlMs: number): Promise<boolean> {
    const { entry, lock, ids } = idempotencyKeys(this.prefix, key);
    return (await this.scripts.completeStream([entry, lock, ids], [owner, fingerprint, response, ttlMs])) === 1;
  }

  async releaseStream(key: string, owner: string): Promise<void> {
    await this.scripts.releaseStream([idempotencyKeys(this.prefix, key).lock], [owner]);
  }
}

import type { Redis } from 'ioredis';
import type { DelayedItem, DelayedQueue } from '@parc/queue';
import { PROMOTE_DUE_3 } from './scripts/promote-due-3.lua';
import { defineScripts, type ScriptRunner } from './scripts/define';


/**
 * A delayed set in Redis: a sorted set of item ids scored by due time, the payloads in a hash
 * beside it (`<name>:payloads`), and a Lua script that moves due items into the target stream.
 */
export class RedisDelayedQueue implements DelayedQueue {
  private readonly payloadsKey: string;
  private readonly scripts: ScriptRunner<'promoteDue'>;

  constructor(
    private readonly redis: Redis,
    readonly name: string,
    readonly targetQueue: string,
  ) {
    this.payloadsKey = `${name}:payloads`;
    this.scripts = defineScripts(redis, { promoteDue: PROMOTE_DUE_3 });
  }

  async schedule(items: readonly DelayedItem[]): Promise<void> {
    if (items.length === 0) return;
    const scores = items.flatMap((item) => [item.dueAtMs, item.id]);
    const payloads = items.flatMap((item) => [item.id, item.payload]);
    // One transaction: an item is either fully scheduled (score and payload) or not at all.
    await this.exec(this.redis.multi().hset(this.payloadsKey, ...payloads).zadd(this.name, ...scores));
  }

  async promoteDue(nowMs: number, limit: number): Promise<number> {
    return Number(await this.scripts.promoteDue([this.name, this.payloadsKey, this.targetQueue], [nowMs, limit]));
  }

  async remove(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const results = await this.exec(this.redis.multi().zrem(this.name, ...ids).hdel(this.payloadsKey, ...ids));
    return Number(results[0]);
  }

  async expedite(ids: readonly string[], dueAtMs: number): Promise<number> {
    if (ids.length === 0) return 0;
    // XX: only items still waiting; LT: only if that is earlier; CH: count what changed.
    const scores = ids.flatMap((id) => [dueAtMs, id]);
    return Number(await this.redis.zadd(this.name, 'XX', 'LT', 'CH', ...scores));
  }

  async size(): Promise<number> {
    return this.redis.zcard(this.name);
  }

  async countDueBy(atMs: number): Promise<number> {
    return this.redis.zcount(this.name, '-inf', atMs);
  }

  private async exec(transaction: ReturnType<Redis['multi']>): Promise<unknown[]> {
    const results = (await transaction.exec()) ?? [];
    const failure = results.find(([error]) => error)?.[0];
    if (failure) throw failure;
    return results.map(([, value]) => value);
  }
}

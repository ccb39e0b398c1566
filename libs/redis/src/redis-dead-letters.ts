import type { Redis } from 'ioredis';
import type { DeadLetter, DeadLetterPage, DeadLetterStore } from '@parc/store';
import { REPLAY_DEAD_3 } from './scripts/store-scripts.lua';
import { defineScripts, type ScriptRunner } from './scripts/define';

/**
 * Dead callbacks in Redis: letters in a hash by request id, ordered by a sorted set scored by
 * the time they died (for listing oldest first with a cursor). They never expire on their own:
 * an operator replays them (or deletes the keys).
 */
export class RedisDeadLetterStore implements DeadLetterStore {
  private readonly lettersKey: string;
  private readonly indexKey: string;
  private readonly scripts: ScriptRunner<'replay'>;

  constructor(
    private readonly redis: Redis,
    prefix = 'parc',
  ) {
    this.lettersKey = `${prefix}:callbacks:dead`;
    this.indexKey = `${prefix}:callbacks:dead:index`;
    this.scripts = defineScripts(redis, { replay: REPLAY_DEAD_3 });
  }

  async add(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const transaction = this.redis.multi();
    for (const letter of letters) {
      transaction.hset(this.lettersKey, letter.id, JSON.stringify(letter)).zadd(this.indexKey, letter.deadAt, letter.id);
    }
    await transaction.exec();
  }

  async list({ limit, after }: { limit: number; after?: string }): Promise<DeadLetterPage> {
    const rank = after === undefined ? -1 : await this.redis.zrank(this.indexKey, after);
    const start = rank === null ? 0 : rank + 1;
    const ids = await this.redis.zrange(this.indexKey, start, start + limit); // one extra: is there a next page?
    const page = ids.slice(0, limit);
    const letters = page.length === 0 ? [] : await this.redis.hmget(this.lettersKey, ...page);
    const items = letters.flatMap((json) => (json ? [JSON.parse(json) as DeadLetter] : []));
    const last = page[page.length - 1];
    return ids.length > limit && last !== undefined ? { items, next: last } : { items };
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const json = await this.redis.hget(this.lettersKey, id);
    return json ? (JSON.parse(json) as DeadLetter) : undefined;
  }

  async replay(ids: readonly string[], queue: string, rewrite: (job: string) => string): Promise<string[]> {
    const moved: string[] = [];
    for (const id of ids) {
      const letter = await this.get(id);
      if (!letter) continue;
      const done = await this.scripts.replay([this.lettersKey, this.indexKey, queue], [id, rewrite(letter.job)]);
      if (done === 1) moved.push(id);
    }
    return moved;
  }
}

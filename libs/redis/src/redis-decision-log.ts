import type { Redis } from 'ioredis';
import type { DecisionLog } from '@parc/store';

/** The decision log as a Redis list `<prefix>:scheduler:decisions`: LPUSH + LTRIM in one MULTI. */
export class RedisDecisionLog implements DecisionLog {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:scheduler:decisions`;
  }

  async append(entry: string, maxEntries: number): Promise<void> {
    const results = await this.redis.multi().lpush(this.key, entry).ltrim(this.key, 0, Math.max(1, maxEntries) - 1).exec();
    const failure = results?.find(([error]) => error)?.[0];
    if (failure) throw failure;
  }

  async recent(limit: number): Promise<string[]> {
    return limit <= 0 ? [] : this.redis.lrange(this.key, 0, limit - 1);
  }
}

import type { Redis } from 'ioredis';
import { byAge, type ParcRecord, type ParcRegistry } from '@parc/store';

/** The Parc record as one Redis hash `<prefix>:parcs`: field = Parc id, value = the record (JSON). */
export class RedisParcRegistry implements ParcRegistry {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:parcs`;
  }

  async list(): Promise<ParcRecord[]> {
    const fields = await this.redis.hvals(this.key);
    return fields.map((value) => JSON.parse(value) as ParcRecord).sort(byAge);
  }

  async put(record: ParcRecord): Promise<void> {
    const { id, state, createdAtMs } = record;
    await this.redis.hset(this.key, id, JSON.stringify({ id, state, createdAtMs }));
  }

  async remove(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, id)) > 0;
  }
}

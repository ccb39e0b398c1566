import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { delay } from '@parc/testing';
import { RedisBackend } from './redis-backend';
import type { RecentBatch } from '@parc/store';
import type { RedisLedger } from './redis-ledger';

// What the store conformance suite cannot see: the Redis ledger's batch index (layout in
// scripts/ledger-scripts.lua.ts) is written in the same step as its batches, and no entry of it
// outlives the batch it names.
describe('RedisLedger batch index', () => {
  const RETENTION_MS = 600;
  const unique = (name: string): string => `${name}-${randomBytes(5).toString('hex')}`;
  let prefix: string;
  let backend: RedisBackend;
  let ledger: RedisLedger;
  let redis: Redis;
  let queue: string;

  beforeEach(() => {
    const url = process.env['REDIS_URL'];
    if (!url) throw new Error('REDIS_URL is not set: run integration tests through jest.integration.config.js');
    prefix = unique('ledger');
    backend = new RedisBackend({ url, connectionName: 'parc-test', keyPrefix: prefix });
    ledger = backend.ledger({ retentionMs: RETENTION_MS });
    redis = new Redis(url);
    queue = unique('q');
  });
  afterEach(async () => {
    await redis.del(queue);
    redis.disconnect();
    await backend.close();
  });

  const openKey = (): string => `${prefix}:batches:open`;
  const completedKey = (): string => `${prefix}:batches:completed`;
  const accept = (batchId: string) => ledger.accept(queue, [{ id: unique('r'), batchId, payload: 'e' }]);
  const finalRecord = (id: string, batchId: string) => ({ id, batchId, status: 'succeeded' as const, attempts: 1, result: '{}' });
  const completeOne = async (batchId: string): Promise<void> => {
    const id = unique('r');
    await ledger.accept(queue, [{ id, batchId, payload: 'e' }]);
    await ledger.seal({ batchId }, queue);
    await ledger.finalize([finalRecord(id, batchId)], queue);
  };
  const batchIds = (batches: readonly RecentBatch[]): string[] => batches.map((batch) => batch.batchId);

  it('indexes a batch as it opens, at its start, and moves it when it completes', async () => {
    const batchId = unique('b');
    const [first, second] = [unique('r'), unique('r')];
    await ledger.accept(queue, [{ id: first, batchId, payload: 'e' }]);
    const at = await redis.hget(`${prefix}:batch:${batchId}`, 'at');
    expect(at).toMatch(/^\d+$/);
    expect(await redis.zscore(openKey(), batchId)).toBe(at);
    await delay(5);
    await ledger.accept(queue, [{ id: second, batchId, payload: 'e' }]); // a later request keeps its place
    await ledger.seal({ batchId }, queue);
    await ledger.finalize([finalRecord(first, batchId)], queue);
    expect(await redis.zscore(openKey(), batchId)).toBe(at);
    expect(await redis.zscore(completedKey(), batchId)).toBeNull();
    const before = Date.now();
    await ledger.finalize([finalRecord(second, batchId)], queue);
    expect(await redis.zscore(openKey(), batchId)).toBeNull();
    expect(Number(await redis.zscore(completedKey(), batchId))).toBeGreaterThanOrEqual(before);
  });

  it('drops the entries of batches as old as the retention at the next write, and leaves nothing once idle', async () => {
    const [abandoned, done, midway, keeper, later] = [unique('b'), unique('b'), unique('b'), unique('b'), unique('b')];
    await accept(abandoned);
    await completeOne(done);
    expect(await redis.zrange(completedKey(), 0, -1)).toEqual([done]);
    await delay(RETENTION_MS / 2);
    // Writes that keep both indexes alive past the first batches' records.
    await completeOne(midway);
    await delay(5);
    await accept(keeper);
    await delay(RETENTION_MS / 2 + 150);
    expect(await redis.exists(`${prefix}:batch:${abandoned}`, `${prefix}:batch:${done}`)).toBe(0);
    expect((await redis.zrange(openKey(), 0, -1)).sort()).toEqual([abandoned, keeper].sort());
    expect(await redis.zrange(completedKey(), 0, -1)).toEqual([done, midway]);
    expect(batchIds(await ledger.recentBatches(20, 60_000))).toEqual([keeper, midway]);

    await ledger.seal({ batchId: later }, queue); // an empty batch: complete at its seal
    expect(await redis.zrange(openKey(), 0, -1)).toEqual([keeper]);
    expect(await redis.zrange(completedKey(), 0, -1)).toEqual([midway, later]);
    const listed = await ledger.recentBatches(20, 60_000);
    expect(listed[0]).toMatchObject({ batchId: later, complete: true, sealed: true, total: 0 });
    expect(batchIds(listed).sort()).toEqual([later, keeper, midway].sort());

    await delay(RETENTION_MS + 100);
    expect(await redis.exists(openKey(), completedKey())).toBe(0);
    expect(await ledger.recentBatches(20, 60_000)).toEqual([]);
  });

  it('counts a result whose request expired as scanned, so that paging goes on past it', async () => {
    const batchId = unique('b');
    const [early, late] = [unique('r'), unique('r')];
    await ledger.accept(queue, [{ id: early, batchId, payload: 'e' }, { id: late, batchId, payload: 'e' }]);
    await ledger.finalize([finalRecord(early, batchId)], queue);
    await delay(RETENTION_MS / 2);
    await ledger.finalize([finalRecord(late, batchId)], queue); // keeps the batch and its results index alive
    // The early request's record expires first (its TTL counts from its own last change).
    for (let waited = 0; (await redis.exists(`${prefix}:req:${early}`)) === 1; waited += 20) {
      if (waited > 5_000) throw new Error('the early request never expired');
      await delay(20);
    }
    const page = await ledger.results(batchId, undefined, 2);
    expect(page.scanned).toBe(2);
    expect(page.results.map((r) => r.id)).toEqual([late]);
  });
});

import { existsSync } from 'node:fs';
import { probeKafka } from './kafka-probe';
import { isAlive } from './process';
import { startLocalRedis } from './redis';
import { compareVersions, probeRedis, redisCommands } from './resp-probe';

/**
 * End to end check of the harness: global setup must have exported a Redis and a Kafka broker
 * that really answer, whichever way it obtained them.
 */
describe('integration harness', () => {
  it('exports a REDIS_URL that answers PING, with Redis >= 7', async () => {
    const url = process.env['REDIS_URL'];
    expect(url).toMatch(/^rediss?:\/\//);
    const { version } = await probeRedis(url as string);
    expect(compareVersions(version, '7.0.0')).toBeGreaterThanOrEqual(0);
    expect(process.env['PARC_TEST_REDIS_VERSION']).toBe(version);
  });

  it('exports KAFKA_BROKERS that answer Metadata with one broker', async () => {
    const brokers = process.env['KAFKA_BROKERS'] as string;
    expect(brokers).toMatch(/^[^,]+:\d+/);
    const metadata = await probeKafka(brokers);
    expect(metadata.brokers).toHaveLength(1);
    expect(metadata.controllerId).toBeGreaterThanOrEqual(0);
    expect(process.env['PARC_TEST_KAFKA_VERSION']).toBeTruthy();
    expect(process.env['PARC_TEST_INFRA_SOURCE']).toMatch(/^redis=(env|testcontainers|local),kafka=(env|testcontainers|local)$/);
  });

  it('starts and fully stops a private redis-server (what the multi-process runs will use)', async () => {
    const redis = await startLocalRedis();
    try {
      await expect(redisCommands(redis.url, [['SET', 'k', 'v'], ['GET', 'k']])).resolves.toEqual(['OK', 'v']);
      // The private server is not the shared one.
      expect(redis.url).not.toBe(process.env['REDIS_URL']);
    } finally {
      await redis.stop();
    }
    await expect(probeRedis(redis.url, 500)).rejects.toThrow(/ECONNREFUSED/);
    expect(isAlive(redis.pid as number)).toBe(false);
    expect(existsSync(redis.workDir as string)).toBe(false);
  });
});

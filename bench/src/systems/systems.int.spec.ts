import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FinalResult } from '@parc/envelope';
import { startCallbackReceiver, startTargetServer, delay, waitFor, type CallbackReceiver, type TargetServer } from '@parc/testing';
import { parseWebhookSecrets, verifyWebhook } from '@parc/webhooks';
import { BENCH_API_KEY, BENCH_RETRY, BENCH_WEBHOOK_SECRET, type StartSystem, type SystemUnderTest } from '../contract';
import { startBullmqSystem } from './bullmq';
import { startInMemorySystem } from './inmemory';

interface Expected {
  readonly url: string;
  readonly status: 'succeeded' | 'failed';
  readonly reason?: string;
  readonly attempts: number;
}

/** 200 requests: plain successes, one retry then success, retries exhausted, a final 404. */
function plan(target: TargetServer, run: string): Expected[] {
  const kinds = (i: number): Expected => {
    if (i % 20 === 3) return { url: target.urlFor(`/gone/${run}/${i}`, { status: 404 }), status: 'failed', reason: 'non_retryable_status', attempts: 1 };
    if (i % 20 === 7) {
      const url = target.urlFor(`/down/${run}/${i}`, { status: 503 });
      return { url, status: 'failed', reason: 'retries_exhausted', attempts: BENCH_RETRY.maxAttempts };
    }
    if (i % 5 === 1) return { url: target.urlFor(`/flaky/${run}/${i}`, { seq: '503,200', key: `${run}-${i}` }), status: 'succeeded', attempts: 2 };
    return { url: target.urlFor(`/ok/${run}/${i}`, { latencyMs: 2 }), status: 'succeeded', attempts: 1 };
  };
  return Array.from({ length: 200 }, (_, i) => kinds(i));
}

function post(system: SystemUnderTest, body: unknown, apiKey = BENCH_API_KEY): Promise<Response> {
  return fetch(`${system.ingressUrl}/v1/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const SYSTEMS: [string, StartSystem][] = [
  ['A (BullMQ)', startBullmqSystem],
  ['B (in-memory)', startInMemorySystem],
];

describe.each(SYSTEMS)('system %s', (_name, start) => {
  let target: TargetServer;
  let receiver: CallbackReceiver;
  let system: SystemUnderTest;
  const secrets = parseWebhookSecrets(BENCH_WEBHOOK_SECRET);

  beforeAll(async () => {
    target = await startTargetServer();
    receiver = await startCallbackReceiver();
    const receiverPort = new URL(receiver.url).port;
    system = await start({
      redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      kafkaBrokers: '',
      egressAllowList: [`127.0.0.1:${target.port}`, `127.0.0.1:${receiverPort}`],
      logDir: mkdtempSync(join(tmpdir(), 'bench-systems-')),
    });
  }, 120_000);

  afterAll(async () => {
    await system?.stop();
    await Promise.all([target?.close(), receiver?.close()]);
  });

  it('refuses unauthenticated and malformed submissions', async () => {
    const valid = { requests: [{ url: target.urlFor('/x'), retry: BENCH_RETRY }], callback: { url: receiver.url } };
    expect((await post(system, valid, 'wrong-key')).status).toBe(401);
    expect((await post(system, { requests: 'none', callback: { url: receiver.url } })).status).toBe(400);
    expect((await post(system, { ...valid, extra: true })).status).toBe(400);
    expect((await post(system, { ...valid, requests: [{ url: 'not a url', retry: BENCH_RETRY }] })).status).toBe(400);
    expect((await post(system, { ...valid, requests: [{ url: target.urlFor('/x'), retry: { maxAttempts: 0 } }] })).status).toBe(400);
    expect(receiver.deliveries).toHaveLength(0);
  });

  it('calls back exactly once per request, signed, with the right status and attempts', async () => {
    const run = `run${Date.now()}`;
    const expected = plan(target, run);
    const byId = new Map<string, Expected & { batchId: string }>();
    for (let offset = 0; offset < expected.length; offset += 50) {
      const chunk = expected.slice(offset, offset + 50);
      const response = await post(system, { requests: chunk.map(({ url }) => ({ url, retry: BENCH_RETRY })), callback: { url: receiver.url } });
      expect(response.status).toBe(202);
      const { batchId, ids } = (await response.json()) as { batchId: string; ids: string[] };
      expect(ids).toHaveLength(chunk.length);
      ids.forEach((id, index) => byId.set(id, { ...(chunk[index] as Expected), batchId }));
    }
    expect(byId.size).toBe(200);

    await waitFor('200 callbacks', () => receiver.deliveries.length >= 200, 30_000);
    await delay(500); // time for a duplicate to show up

    expect(receiver.deliveries).toHaveLength(200);
    for (const delivery of receiver.deliveries) {
      const want = byId.get(delivery.id);
      expect(want).toBeDefined();
      expect(verifyWebhook({ headers: delivery.headers, body: delivery.body, secrets })).toMatchObject({ ok: true, id: delivery.id });
      const result = JSON.parse(delivery.body) as FinalResult;
      expect(result).toMatchObject({ id: delivery.id, batchId: want?.batchId, status: want?.status, request: { method: 'GET', url: want?.url } });
      expect(result.reason).toBe(want?.reason);
      expect(result.attempts.map((a) => a.attempt)).toEqual(Array.from({ length: want?.attempts ?? 0 }, (_, i) => i + 1));
    }
    expect(new Set(receiver.deliveries.map((d) => d.id)).size).toBe(200);
    const attemptsMade = [...byId.values()].reduce((sum, want) => sum + want.attempts, 0);
    expect(target.calls.filter((call) => call.url.includes(`/${run}/`))).toHaveLength(attemptsMade);
  }, 60_000);

  it('stops every process it started', async () => {
    const pids = system.processes().map((p) => p.pid);
    expect(pids.length).toBeGreaterThan(0);
    expect(system.processes().every((p) => p.group === 'services')).toBe(true);
    await system.stop();
    await system.stop(); // idempotent
    expect(pids.filter(isAlive)).toEqual([]);
  }, 60_000);
});

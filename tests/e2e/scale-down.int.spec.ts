import { parcNames } from '@parc/topology';
import { redisCommands, startCallbackReceiver, startStack, startTargetServer, submitBatch, waitFor, withDb, type CallbackReceiver, type RespValue, type Stack, type TargetServer } from '@parc/testing';

/** At most what the remaining caller can take at once (64 batches of 8): a hand-back then never waits for a free slot. */
const REQUESTS = 400;
const LATENCY_MS = 1_000;
/** Calls each caller sends to the target at once; what else it holds waits for a connection, not started. */
const PER_HOST = 16;
/** The production lease the stack runs with (QUEUE_LEASE_MS default): what a stranded entry waited for. */
const LEASE_MS = 15_000;

/** Entries pending per consumer of `stream` in `group` (XINFO CONSUMERS). */
async function pendingByConsumer(redisUrl: string, stream: string, group: string): Promise<Map<string, number>> {
  const [reply] = await redisCommands(redisUrl, [['XINFO', 'CONSUMERS', stream, group]]);
  const pending = new Map<string, number>();
  for (const info of (Array.isArray(reply) ? reply : []) as RespValue[][]) {
    const fields = new Map<string, RespValue>();
    for (let i = 0; i + 1 < info.length; i += 2) fields.set(String(info[i]), info[i + 1] as RespValue);
    pending.set(String(fields.get('name')), Number(fields.get('pending')));
  }
  return pending;
}

/**
 * Issue #13: a parc-caller removed by the scheduler (SIGTERM) stranded the entries it had claimed
 * from `ready` until their lease expired. Two callers share a slow target; one is stopped while it
 * holds far more than it has calls under way.
 */
describe('scale-down that strands nothing: a parc-caller stopped mid-load', () => {
  let target: TargetServer;
  let receiver: CallbackReceiver;
  let stack: Stack;

  beforeAll(async () => {
    [target, receiver] = await Promise.all([startTargetServer(), startCallbackReceiver()]);
    const allow = [target.url, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`).join(',');
    stack = await startStack({ egressAllowList: allow, instances: { 'parc-caller': 2 }, env: { MAX_CONCURRENT_PER_HOST: String(PER_HOST) } });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([target?.close(), receiver?.close()]);
  }, 60_000);

  it('finishes its calls under way and hands the rest of its entries back: its pending entries go within seconds, not a lease', async () => {
    const parcRedis = withDb(process.env['REDIS_URL'] as string, 2);
    const { ready } = parcNames('p1', stack.namespace);
    const pending = () => pendingByConsumer(parcRedis, ready, 'parc-caller');
    const requests = Array.from({ length: REQUESTS }, (_, n) => ({ url: target.urlFor('/slow', { key: `r${n}`, latencyMs: LATENCY_MS }) }));
    const { ids } = await submitBatch(stack.proxyUrl, { requests, callback: { url: receiver.url } });

    // The caller holding the most, once it holds many more entries than it has calls under way.
    const [name, held] = await waitFor(`a caller holding more than ${PER_HOST + 50} entries`, async () => {
      const most = [...(await pending()).entries()].sort(([, a], [, b]) => b - a)[0];
      return most !== undefined && most[1] > PER_HOST + 50 ? most : undefined;
    }, 60_000, 50);
    // Consumers are named after their instance: `parc-caller.p1@<host>:<port>#1`.
    const victim = stack.instances['parc-caller'].find((instance) => name.includes(`:${instance.port}#`));
    if (victim === undefined) throw new Error(`no parc-caller instance for consumer ${name}`);

    const stoppedAt = Date.now();
    const exited = victim.stop(LEASE_MS);
    const samples: string[] = [];
    await waitFor(`the stopped caller's ${held} entries to be finished or taken over`, async () => {
      const left = (await pending()).get(name) ?? 0;
      samples.push(`${Date.now() - stoppedAt} ms: ${left}`);
      return left === 0;
    }, LEASE_MS, 100);
    const releasedMs = Date.now() - stoppedAt;
    const exit = await exited;

    await waitFor(`${REQUESTS} callbacks`, () => ids.every((id) => receiver.acceptedById().has(id)), 120_000, 250);
    const extraCalls = target.calls.length - REQUESTS;
    console.info(
      `[e2e scale-down] caller ${name} held ${held} entries (${PER_HOST} calls under way of ${LATENCY_MS} ms) when stopped; ` +
        `none left with it ${releasedMs} ms later (lease ${LEASE_MS} ms); exit ${exit.code}; extra target calls ${extraCalls}.\n` +
        `[e2e scale-down] its pending entries after SIGTERM: ${samples.filter((_, i) => i % 5 === 0 || i === samples.length - 1).join(', ')}`,
    );
    expect(exit.code).toBe(0);
    // Its calls under way end within LATENCY_MS; the rest is handed back and taken within about two seconds.
    expect(releasedMs).toBeLessThan(LATENCY_MS + 4_000);
    // Only calls sent before the stop can run twice (a batch whose other requests had not started is handed back whole).
    expect(extraCalls).toBeLessThanOrEqual(2 * PER_HOST);
  }, 240_000);
});

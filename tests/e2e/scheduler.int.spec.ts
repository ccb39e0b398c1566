import { redisCommands, startCallbackReceiver, startScheduledStack, startTargetServer, submitBatch, waitFor, type CallbackReceiver, type ScheduledStack, type TargetServer } from '@parc/testing';

/** The scheduler's decision log entries, as GET /v1/scheduler/decisions serves them (the fields used here). */
interface Decision {
  readonly atMs: number;
  readonly readings: { readonly queues: Readonly<Record<string, { readonly added: number; readonly waiting: number }>> };
  readonly plan: {
    readonly stages: readonly { readonly key: string; readonly current: number; readonly desired: number; readonly reason: string }[];
    readonly parcs: readonly { readonly id: string; readonly action: string; readonly reason: string }[];
    readonly budget: { readonly capacity: { readonly cpuMillis: number }; readonly planned: { readonly cpuMillis: number } };
  };
}

const BUDGET_MILLIS = 2_000;
/**
 * Small enough that the step needs more than one Parc: a caller holds 8 calls of ~1 s (the
 * scheduler measures their latency), so it finishes about 8/s, and a Parc has three at most.
 */
const POLICY = {
  stages: { 'parc-caller': { ratePerInstance: 40, max: 3 }, 'parc-incoming': { max: 2 } },
  caller: { minParallelism: 8, maxParallelism: 8 },
  scaleDownCooldownMs: 5_000,
  parcs: { max: 2, addCooldownMs: 2_000, saturatedForMs: 2_000, drainCooldownMs: 5_000 },
};

describe('the scheduler with the local-process driver on Redis and Kafka: a load step', () => {
  let target: TargetServer;
  let receiver: CallbackReceiver;
  let stack: ScheduledStack;
  let proxyUrl: string;
  let namespace: string;
  const redisUrl = process.env['REDIS_URL'] as string;
  const db = (n: number): string => Object.assign(new URL(redisUrl), { pathname: `/${n}` }).toString();
  /** When each consumer of p1's ready stream was first seen: a new one is a caller instance consuming. */
  const callersSeen = new Map<string, number>();
  let watching = true;
  const decisions = (limit = 1_000): Promise<Decision[]> => stack.decisions<Decision>(limit);

  beforeAll(async () => {
    [target, receiver] = await Promise.all([startTargetServer(), startCallbackReceiver()]);
    stack = await startScheduledStack({
      egressAllowList: [target.url, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`).join(','),
      policy: POLICY,
      databases: [3, 4],
      env: { SCHEDULER_CPU_BUDGET_MILLIS: String(BUDGET_MILLIS) },
    });
    ({ proxyUrl, namespace } = stack);
  }, 150_000);

  afterAll(async () => {
    watching = false;
    await stack?.stop();
    await Promise.all([target?.close(), receiver?.close()]);
  }, 60_000);

  it('scales up on the step, adds a Parc that takes traffic, then drains it and scales down; every request is called back', async () => {
    const sent = new Set<string>();
    const submit = async (count: number, tag: string): Promise<void> => {
      const { ids } = await submitBatch(proxyUrl, { requests: Array.from({ length: count }, (_, i) => ({ url: target.urlFor(`/${tag}/${i}`, { latencyMs: 1_000 }) })), callback: { url: receiver.url } });
      ids.forEach((id) => sent.add(id));
    };
    void (async () => {
      while (watching) {
        const [reply] = await redisCommands(db(4), [['XINFO', 'CONSUMERS', `${namespace}:{p1}:ready`, 'parc-caller']]).catch(() => [undefined]);
        for (const consumer of Array.isArray(reply) ? reply : []) {
          const fields = Array.isArray(consumer) ? consumer : [];
          const name = String(fields[fields.indexOf('name') + 1]);
          if (!callersSeen.has(name)) callersSeen.set(name, Date.now());
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    // 1 s calls: one caller (parallelism 8: 8 calls in flight) does ~8/s. 10 s at 10/s, then 30 s at 100/s, then nothing.
    for (let second = 0; second < 10; second++) {
      await submit(10, `low${second}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    for (let second = 0; second < 30; second++) {
      await submit(100, `step${second}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const loadEndedAt = Date.now();

    const scaledUp = await waitFor('a scale-up decision', async () => (await decisions()).find((d) => d.plan.stages.some((s) => s.current >= 1 && s.desired > s.current)), 30_000, 500);
    const created = await waitFor('a new Parc', async () => (await decisions()).find((d) => d.plan.parcs.some((p) => p.action === 'create')), 60_000, 500);
    const newParc = created.plan.parcs.find((p) => p.action === 'create')?.id as string;
    await waitFor(`${newParc} taking traffic`, async () => (await decisions(5)).some((d) => (d.readings.queues[`${newParc}/requests`]?.added ?? 0) > 0), 60_000, 500);

    await waitFor('every request called back', () => sent.size > 0 && new Set(receiver.deliveries.map((d) => d.id)).size >= sent.size, 180_000, 500);
    const drained = await waitFor(`${newParc} draining`, async () => (await decisions()).find((d) => d.plan.parcs.some((p) => p.id === newParc && p.action === 'drain')), 120_000, 500);
    const removed = await waitFor(`${newParc} drained and removed`, async () => (await decisions()).find((d) => d.plan.parcs.some((p) => p.id === newParc && p.action === 'remove')), 120_000, 500);
    const settled = await waitFor('every stage back at its minimum', async () => {
      const [latest] = (await decisions(1)).slice(-1);
      return latest && latest.plan.stages.every((s) => s.desired <= 1 && s.current <= 1) ? latest : undefined;
    }, 120_000, 500);

    const all = await decisions();
    expect(all.every((d) => d.plan.budget.planned.cpuMillis <= BUDGET_MILLIS)).toBe(true);
    // No flapping: the step made one Parc, which stayed until the load was gone.
    expect(all.filter((d) => d.plan.parcs.some((p) => p.action === 'create')).length).toBe(1);
    // None is created on the falling load; the extra one starts draining within seconds of the
    // load's end (this policy's drain cooldown is 5 s; the default path for a load that is gone is
    // idleDrainMs, 15 s, plus up to 5 s for the arrival rate to fall).
    expect(created.atMs).toBeLessThan(loadEndedAt);
    expect(drained.atMs - loadEndedAt).toBeLessThan(25_000);
    expect(drained.plan.parcs.find((p) => p.id === newParc)?.reason).toMatch(/^draining: (arrivals [\d.]+\/s have fitted in 1 Parc\(s\) at half their maximum|the other 1 Parc\(s\) can carry the load)/);
    expect([...sent].every((id) => receiver.deliveries.some((d) => d.id === id))).toBe(true);
    const first = scaledUp.plan.stages.find((s) => s.current >= 1 && s.desired > s.current);
    const callerUp = all.find((d) => d.plan.stages.some((s) => s.key === 'p1/parc-caller' && s.current >= 1 && s.desired > s.current));
    const consumingAt = [...callersSeen.values()].sort((a, b) => a - b).find((at) => callerUp !== undefined && at > callerUp.atMs);
    // Reported, not asserted: how quickly the first added instance was planned after the step.
    console.info(
      `[e2e scheduler] first scale-up ${first?.key} ${first?.current} → ${first?.desired} (${first?.reason}); ${newParc} created (${created.plan.parcs.find((p) => p.id === newParc)?.reason}) ` +
        `${created.atMs - scaledUp.atMs} ms later, draining ${drained.atMs - loadEndedAt} ms after the load ended, removed ${removed.atMs - loadEndedAt} ms after it; settled at the minimum ${settled.atMs - removed.atMs} ms after; ` +
        `the added p1 caller consuming ${consumingAt !== undefined && callerUp ? consumingAt - callerUp.atMs : '?'} ms after the decision (ticks 500 ms; instances run from esbuild bundles); ` +
        `${sent.size} requests, ${receiver.deliveries.length} callback deliveries; ${all.length} decisions, peak planned CPU ${Math.max(...all.map((d) => d.plan.budget.planned.cpuMillis))} of ${BUDGET_MILLIS} m`,
    );
  }, 600_000);
});

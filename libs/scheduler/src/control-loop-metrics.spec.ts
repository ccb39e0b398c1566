import { MemoryBackend } from '@parc/memory';
import { DEFAULT_SCALING_POLICY } from '@parc/scaling';
import { Registry } from 'prom-client';
import { createControlLoop } from './control-loop';
import { dryRunDriver, type ClusterState } from './driver';
import { pipelineSignals } from './signals/pipeline';

const parc = (id: string, callerParallelism: number): ClusterState['parcs'][number] => ({
  id,
  state: 'active',
  createdAtMs: 0,
  instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 },
  callerParallelism,
});

/** Each series of `name` as `labels → value`, read the way a scrape reads them. */
async function series(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map(({ labels, value }) => [Object.values(labels).join('/'), value]));
}

describe("the scheduler's metrics (memory backends, dry-run driver)", () => {
  const backends = [new MemoryBackend(), new MemoryBackend(), new MemoryBackend()] as const;
  const [proxy, kafka, parcRedis] = backends;
  afterAll(async () => Promise.all(backends.map((backend) => backend.close())));

  it('exports the budget the plan reserves against the capacity, and the caller parallelism of each Parc, dropping a removed Parc', async () => {
    const registry = new Registry();
    let cluster: ClusterState = { globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 }, parcs: [parc('p1', 64), parc('p2', 128)], capacity: { cpuMillis: 4_000, memoryMiB: 8_192 } };
    let clock = 1_000_000;
    const loop = createControlLoop({
      signals: pipelineSignals({ proxy, kafka, parcRedis: () => parcRedis, namespace: 'parc', dueHorizonMs: 10_000 }),
      driver: { ...dryRunDriver(cluster, () => undefined), state: async () => cluster },
      policy: DEFAULT_SCALING_POLICY,
      decisions: proxy.decisionLog(),
      registry,
      now: () => clock,
    });

    const first = await loop.tick();
    expect(await series(registry, 'parc_scheduler_caller_parallelism')).toEqual(Object.fromEntries(first.plan.parcs.map((p) => [p.id, p.callerParallelism])));
    expect(Object.keys(await series(registry, 'parc_scheduler_caller_parallelism')).sort()).toEqual(['p1', 'p2']);
    const budget = await series(registry, 'parc_scheduler_budget');
    expect(budget).toMatchObject({ 'cpu/capacity': 4_000, 'memory/capacity': 8_192, 'cpu/planned': first.plan.budget.planned.cpuMillis, 'memory/planned': first.plan.budget.planned.memoryMiB });
    expect(budget['cpu/planned']).toBeGreaterThan(0);
    expect(budget['cpu/planned']).toBeLessThanOrEqual(4_000);

    cluster = { ...cluster, parcs: [parc('p1', 64)] };
    clock += 1_000;
    await loop.tick();
    expect(Object.keys(await series(registry, 'parc_scheduler_caller_parallelism'))).toEqual(['p1']);
  });
});

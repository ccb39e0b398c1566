import { MemoryBackend } from '@parc/memory';
import { DEFAULT_SCALING_POLICY, type Plan } from '@parc/scaling';
import { globalNames, parcNames } from '@parc/topology';
import { createControlLoop, type DecisionEntry } from './control-loop';
import { dryRunDriver, type ClusterState } from './driver';
import { pipelineSignals } from './signals/pipeline';

const CLUSTER: ClusterState = {
  globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 },
  parcs: [{ id: 'p1', state: 'active', createdAtMs: 0, instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism: 64 }],
  capacity: { cpuMillis: 4_000, memoryMiB: 8_192 },
};

const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ payload: `m${i}`, key: `k${i}` }));

describe('scheduler control loop (memory backends, dry-run driver)', () => {
  const proxy = new MemoryBackend();
  const kafka = new MemoryBackend();
  const parcRedis = new MemoryBackend();
  const decisionsStore = proxy.decisionLog();
  const signals = pipelineSignals({ proxy, kafka, parcRedis: () => parcRedis, namespace: 'parc', dueHorizonMs: 10_000 });
  const global = globalNames('parc');
  const p1 = parcNames('p1', 'parc');
  let clock = 1_000_000;
  const applied: Plan[] = [];
  const loop = () =>
    createControlLoop({ signals, driver: dryRunDriver(CLUSTER, (plan) => applied.push(plan)), policy: DEFAULT_SCALING_POLICY, decisions: decisionsStore, now: () => clock });

  afterAll(async () => Promise.all([proxy.close(), kafka.close(), parcRedis.close()]));

  it('observes backlogs and rates from the queues, decides, hands the plan to the driver and logs it', async () => {
    const first = await loop().tick();
    expect(first.observation.proxyStore).toEqual({ arrivalRate: 0, backlog: 0 });
    expect(first.plan.stages.every((stage) => stage.desired === 1)).toBe(true);

    await proxy.publish(global.inbox, messages(2_000)); // 2,000 in one second
    await parcRedis.publish(p1.ready, messages(6_000));
    await parcRedis.delayedQueue(p1.delayed, p1.due).schedule([{ id: 'r1', payload: 'x', dueAtMs: clock + 5_000 }, { id: 'r2', payload: 'y', dueAtMs: clock + 60_000 }]);
    clock += 1_000;
    const second = await loop().tick();

    expect(second.observation.proxyStore).toEqual({ arrivalRate: 2_000, backlog: 2_000 });
    expect(second.observation.proxy.arrivalRate).toBe(2_000);
    expect(second.observation.parcs[0]).toMatchObject({ caller: { arrivalRate: 6_000, backlog: 6_000 }, delayed: { size: 2, dueSoon: 1 } });
    const caller = second.plan.stages.find((stage) => stage.key === 'p1/parc-caller');
    expect(caller).toMatchObject({ current: 1 });
    expect(caller?.desired).toBeGreaterThan(1);
    expect(caller?.reason).toMatch(/^up 1 → \d+: 6000\/s arriving, 6001 waiting/);
    expect(applied.at(-1)).toEqual(second.plan);
    expect(second.lastChangeMs['p1/parc-caller']).toBe(clock);
    expect(second.plan.budget.planned.cpuMillis).toBeLessThanOrEqual(CLUSTER.capacity.cpuMillis);

    const logged = (await decisionsStore.recent(5)).map((entry) => JSON.parse(entry) as DecisionEntry);
    expect(logged.map((entry) => entry.atMs)).toEqual([clock, clock - 1_000]);
  });

  it('decides after a restart exactly as the running loop would have (everything comes from the system)', async () => {
    clock += 1_000;
    const logBefore = await decisionsStore.recent(600);
    const fromRunningLoop = await loop().tick();
    // A brand-new loop, on a log exactly as it was before that tick, decides the same tick alike.
    const restoredLog = new MemoryBackend().decisionLog();
    for (const entry of [...logBefore].reverse()) await restoredLog.append(entry, 600);
    const restarted = createControlLoop({ signals, driver: dryRunDriver(CLUSTER, () => undefined), policy: DEFAULT_SCALING_POLICY, decisions: restoredLog, now: () => clock });
    const fromRestartedLoop = await restarted.tick();
    expect(logBefore.length).toBeGreaterThan(1);
    expect(fromRestartedLoop.observation).toEqual(fromRunningLoop.observation);
    expect(fromRestartedLoop.plan).toEqual(fromRunningLoop.plan);
    expect(fromRestartedLoop.lastChangeMs).toEqual(fromRunningLoop.lastChangeMs);
  });

  it('records a plan the driver could not apply, and keeps the cooldown clock where it was', async () => {
    clock += 1_000;
    const failing = createControlLoop({
      signals,
      driver: { name: 'broken', state: async () => CLUSTER, apply: async () => Promise.reject(new Error('API server unreachable')) },
      policy: DEFAULT_SCALING_POLICY,
      decisions: decisionsStore,
      now: () => clock,
    });
    const [previous] = (await decisionsStore.recent(1)).map((entry) => JSON.parse(entry) as DecisionEntry);
    const entry = await failing.tick();
    expect(entry).toMatchObject({ applied: false, error: 'API server unreachable', driver: 'broken' });
    expect(entry.lastChangeMs).toEqual(previous?.lastChangeMs);
  });
});

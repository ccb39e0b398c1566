import type { Observation, ParcObservation, Plan } from '@parc/scaling';
import { TickHistory, decisionsOf, type DashboardTick, type QueueSample } from './view';

const idle = { arrivalRate: 0, backlog: 0 };

function parc(id: string, overrides: Partial<ParcObservation> = {}): ParcObservation {
  return {
    id,
    state: 'active',
    createdAtMs: 0,
    incoming: idle,
    caller: { ...idle, inFlight: 0, callLatencyMs: 120 },
    outgoing: idle,
    delayed: { size: 0, dueSoon: 0 },
    instances: { 'parc-incoming': 1, 'parc-caller': 2, 'parc-outgoing': 1 },
    callerParallelism: 512,
    ...overrides,
  };
}

function observation(atMs: number, parcs: ParcObservation[] = [parc('p1')]): Observation {
  return {
    nowMs: atMs,
    proxy: idle,
    proxyStore: idle,
    responder: idle,
    globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 },
    parcs,
    capacity: { cpuMillis: 2_000, memoryMiB: 4_096 },
    lastChangeMs: {},
  };
}

const sample = (waiting: number, inFlight: number, added: number): QueueSample => ({ waiting, inFlight, added });

function tick(atMs: number, queues: Record<string, QueueSample>, extra: Partial<DashboardTick> = {}): DashboardTick {
  return { atMs, driver: 'local', readings: { queues, delayed: { 'p1/delayed': { size: 3, dueSoon: 1 } } }, observation: observation(atMs), ...extra };
}

function plan(overrides: Partial<Plan> = {}): Plan {
  return {
    stages: [{ key: 'p1/parc-caller', stage: 'parc-caller', parcId: 'p1', current: 2, desired: 4, reason: 'ready backlog 9000 takes 18 s to drain at 2 instances' }],
    parcs: [{ id: 'p1', action: 'keep', state: 'active', callerParallelism: 512, reason: 'needed' }],
    budget: { capacity: { cpuMillis: 2_000, memoryMiB: 4_096 }, planned: { cpuMillis: 1_500, memoryMiB: 1_024 } },
    parcsNeeded: true,
    parcSaturated: false,
    arrivalsNeedParcs: true,
    ...overrides,
  };
}

describe('decisionsOf', () => {
  it('lists the planned changes of instances, parallelism and Parcs with their reasons, and nothing for a steady plan', () => {
    const changes = decisionsOf(
      tick(1_000, {}, {
        plan: plan({
          parcs: [
            { id: 'p1', action: 'keep', state: 'active', callerParallelism: 1_024, reason: 'slow calls on a busy machine: more parallelism' },
            { id: 'p2', action: 'create', state: 'active', callerParallelism: 512, reason: 'arrivals exceed the active Parcs' },
          ],
        }),
        applied: false,
        error: 'budget exceeded',
      }),
    );
    expect(changes).toEqual([
      { atMs: 1_000, subject: 'p1/parc-caller', change: 'instances', from: 2, to: 4, reason: 'ready backlog 9000 takes 18 s to drain at 2 instances', applied: false, error: 'budget exceeded' },
      { atMs: 1_000, subject: 'p1/parc-caller', change: 'parallelism', from: 512, to: 1_024, reason: 'slow calls on a busy machine: more parallelism', applied: false, error: 'budget exceeded' },
      { atMs: 1_000, subject: 'p2', change: 'create', reason: 'arrivals exceed the active Parcs', applied: false, error: 'budget exceeded' },
    ]);
    const steady = plan({ stages: [{ key: 'proxy-store', stage: 'proxy-store', current: 1, desired: 1, reason: 'steady' }] });
    expect(decisionsOf(tick(2_000, {}, { plan: steady }))).toEqual([]);
    expect(decisionsOf(tick(3_000, {}))).toEqual([]);
  });
});

describe('TickHistory', () => {
  it('reads rates in and out over the window from the added counters and the backlog', () => {
    const history = new TickHistory();
    history.add([
      tick(10_000, { inbox: sample(100, 0, 1_000), 'p1/ready': sample(0, 0, 0) }),
      tick(12_000, { inbox: sample(500, 100, 3_000), 'p1/ready': sample(10, 40, 200) }),
    ]);
    const view = history.view({ nowMs: 12_500, source: 'scheduler' });
    const inbox = view.queues.find((queue) => queue.name === 'inbox');
    // 2,000 added in 2 s; the backlog grew by 500, so 1,500 were taken off.
    expect(inbox).toEqual({ name: 'inbox', waiting: 500, inFlight: 100, backlog: 600, inPerSecond: 1_000, outPerSecond: 750 });
    expect(view.observedAtMs).toBe(12_000);
    expect(view.driver).toBe('local');
  });

  it('counts a tick read twice once, keeps the newest ticks, and draws each queue kind summed over the Parcs', () => {
    const history = new TickHistory(3);
    const ticks = [1, 2, 3, 4].map((second) => tick(second * 1_000, { inbox: sample(second, 0, 0), 'p1/ready': sample(second, 1, 0), 'p2/ready': sample(10, 0, 0) }));
    history.add(ticks.slice(0, 2));
    history.add(ticks.slice(1, 3));
    history.add([ticks[3] as DashboardTick, ticks[0] as DashboardTick]);
    const { history: series } = history.view({ nowMs: 5_000, source: 'scheduler' });
    expect(series.atMs).toEqual([2_000, 3_000, 4_000]);
    expect(series.backlog['inbox']).toEqual([2, 3, 4]);
    expect(series.backlog['ready']).toEqual([13, 14, 15]);
    expect(series.backlog['delayed']).toEqual([3, 3, 3]);
    expect(series.instances).toEqual([7, 7, 7]);
    expect(series.parcs).toEqual([1, 1, 1]);
  });

  it('shows planned changes beside the instances, the budget, the Parcs and the newest decisions first', () => {
    const history = new TickHistory();
    history.add([tick(1_000, {}, { plan: plan() }), tick(2_000, {}, { plan: plan({ stages: [{ key: 'responder', stage: 'responder', current: 1, desired: 2, reason: 'responses backlog' }] }) })]);
    const view = history.view({ nowMs: 2_100, source: 'scheduler' });
    expect(view.stages).toContainEqual({ key: 'responder', instances: 1, desired: 2, reason: 'responses backlog' });
    expect(view.stages).toContainEqual({ key: 'p1/parc-caller', instances: 2 });
    expect(view.budget).toEqual({ capacity: { cpuMillis: 2_000, memoryMiB: 4_096 }, planned: { cpuMillis: 1_500, memoryMiB: 1_024 } });
    expect(view.parcs).toEqual([{ id: 'p1', state: 'active', createdAtMs: 0, instances: { 'parc-incoming': 1, 'parc-caller': 2, 'parc-outgoing': 1 }, callerParallelism: 512, callLatencyMs: 120, delayed: { size: 0, dueSoon: 0 } }]);
    expect(view.decisions.map((decision) => decision.subject)).toEqual(['responder', 'p1/parc-caller']);
  });

  it('answers an empty picture before the first tick', () => {
    const view = new TickHistory().view({ nowMs: 1, source: 'embedded' });
    expect(view).toMatchObject({ source: 'embedded', driver: 'none', queues: [], stages: [], parcs: [], decisions: [], batches: [], destinations: [] });
    expect(view.observedAtMs).toBeUndefined();
  });
});

import { ARRIVALS_NEED_PARCS_KEY, changeTimesAfter, decide, SATURATED_SINCE_KEY } from './decide';
import type { CpuUsage, Observation, ParcObservation, Plan, ScalingPolicy, StageName } from './model';

const stage = (cpuMillis: number, ratePerInstance: number, max = 8, min = 1) => ({ resources: { cpuMillis, memoryMiB: 128 }, min, max, ratePerInstance });

const POLICY: ScalingPolicy = {
  stages: {
    proxy: stage(100, 2_000),
    'proxy-store': stage(100, 5_000),
    responder: stage(200, 1_000),
    'parc-incoming': stage(100, 4_000),
    'parc-caller': stage(200, 1_500),
    'parc-outgoing': stage(100, 3_000),
  },
  drainTargetS: 10,
  targetUtilisation: 0.8,
  scaleDownCooldownMs: 30_000,
  idleScaleDownCooldownMs: 5_000,
  tolerance: 0.1,
  cpuSaturatedShare: 0.85,
  caller: { minParallelism: 64, maxParallelism: 512, fastCallMs: 100 },
  parcs: { max: 4, partitions: 4, addCooldownMs: 30_000, saturatedForMs: 20_000, drainCooldownMs: 120_000, idleDrainMs: 15_000, startupMs: 15_000 },
};

const NOW = 1_000_000;
const idle = { arrivalRate: 0, backlog: 0 };

function parc(overrides: Partial<ParcObservation> = {}): ParcObservation {
  return {
    id: 'p1',
    state: 'active',
    createdAtMs: 0,
    incoming: idle,
    caller: { ...idle, inFlight: 0, callLatencyMs: 20 },
    outgoing: idle,
    delayed: { size: 0, dueSoon: 0 },
    instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 },
    callerParallelism: 64,
    ...overrides,
  };
}

function observe(overrides: Partial<Observation> = {}): Observation {
  return {
    nowMs: NOW,
    proxy: idle,
    proxyStore: idle,
    responder: idle,
    globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 },
    parcs: [parc()],
    capacity: { cpuMillis: 10_000, memoryMiB: 16_384 },
    lastChangeMs: {},
    ...overrides,
  };
}

const desired = (plan: Plan, key: string): number | undefined => plan.stages.find((s) => s.key === key)?.desired;
const reason = (plan: Plan, key: string): string => plan.stages.find((s) => s.key === key)?.reason ?? '';
const withinBudget = (plan: Plan): boolean =>
  plan.budget.planned.cpuMillis <= plan.budget.capacity.cpuMillis && plan.budget.planned.memoryMiB <= plan.budget.capacity.memoryMiB;

describe('decide', () => {
  it('keeps every stage at its minimum when idle, one Parc, budget respected', () => {
    const plan = decide(observe(), POLICY);
    expect(plan.stages.map((s) => [s.key, s.desired])).toEqual([
      ['proxy', 1],
      ['proxy-store', 1],
      ['responder', 1],
      ['p1/parc-incoming', 1],
      ['p1/parc-caller', 1],
      ['p1/parc-outgoing', 1],
    ]);
    expect(plan.parcs).toEqual([expect.objectContaining({ id: 'p1', action: 'keep', state: 'active', callerParallelism: 64 })]);
    expect(plan.budget.planned).toEqual({ cpuMillis: 800, memoryMiB: 768 });
    expect(reason(plan, 'proxy')).toMatch(/^steady at 1/);
  });

  it.each<[string, Partial<Observation>, string, number, RegExp]>([
    ['the inbox backlog', { proxyStore: { arrivalRate: 8_000, backlog: 50_000 } }, 'proxy-store', 4, /^up 1 → 4: 8000\/s arriving, 50000 waiting/],
    ['the responses lag', { responder: { arrivalRate: 2_000, backlog: 20_000 } }, 'responder', 5, /^up 1 → 5/],
    ['ingress', { proxy: { arrivalRate: 5_000, backlog: 0 } }, 'proxy', 4, /^up 1 → 4/],
    ['ready (slow calls: instances, not parallelism)', { parcs: [parc({ caller: { arrivalRate: 1_000, backlog: 10_000, inFlight: 64, callLatencyMs: 200 } })] }, 'p1/parc-caller', 8, /one instance handles 320\/s/],
    ['done', { parcs: [parc({ outgoing: { arrivalRate: 6_000, backlog: 0 } })] }, 'p1/parc-outgoing', 3, /^up 1 → 3/],
  ])('scales up on %s at once, saying why', (_name, overrides, key, expected, why) => {
    const plan = decide(observe(overrides), POLICY);
    expect(desired(plan, key)).toBe(expected);
    expect(reason(plan, key)).toMatch(why);
  });

  it('doubles a saturated proxy, whose demand beyond what it accepts cannot be seen (it has no queue)', () => {
    // Two proxies of 2,000/s each accept 3,700/s: at 92 % of what they can, the rest may be waiting.
    const saturated = decide(observe({ proxy: { arrivalRate: 3_700, backlog: 0 }, globalInstances: { proxy: 2, 'proxy-store': 1, responder: 1 } }), POLICY);
    expect(desired(saturated, 'proxy')).toBe(4);
    expect(reason(saturated, 'proxy')).toBe('up 2 → 4: saturated: 3700/s through 2 (one handles 2000/s), demand beyond it unseen: doubling');
    // Below 90 % it is sized on the rate as any stage: 3,550 / (2,000 × 0.8) → 3.
    const busy = decide(observe({ proxy: { arrivalRate: 3_550, backlog: 0 }, globalInstances: { proxy: 2, 'proxy-store': 1, responder: 1 } }), POLICY);
    expect(desired(busy, 'proxy')).toBe(3);
    expect(reason(busy, 'proxy')).toMatch(/^up 2 → 3: 3550\/s arriving/);
  });

  it('caps a stage at its max and incoming at the partition count', () => {
    const plan = decide(observe({ parcs: [parc({ incoming: { arrivalRate: 40_000, backlog: 0 } })] }), POLICY);
    expect(desired(plan, 'p1/parc-incoming')).toBe(4);
    expect(reason(plan, 'p1/parc-incoming')).toMatch(/capped at max 4/);
  });

  it('raises caller parallelism, not instances, while calls are fast and callers full', () => {
    const busy = parc({ caller: { arrivalRate: 2_000, backlog: 5_000, inFlight: 64, callLatencyMs: 20 } });
    const plan = decide(observe({ parcs: [busy] }), POLICY);
    expect(plan.parcs[0]).toMatchObject({ callerParallelism: 128 });
    expect(plan.parcs[0]?.reason).toMatch(/parallelism 64 → 128: callers full \(64 of 64 in flight\) and calls fast/);
  });

  describe('the CPU reading', () => {
    // Slow calls, callers full, 2,000/s to serve: at parallelism 64 and 200 ms the load asks for 8 callers.
    const slowCalls = (overrides: Partial<ParcObservation> = {}): ParcObservation => parc({ caller: { arrivalRate: 1_000, backlog: 10_000, inFlight: 64, callLatencyMs: 200 }, ...overrides });
    const machine = (busy: number, callerMillis = 150): CpuUsage => ({ perInstanceMillis: { 'p1/parc-caller': callerMillis }, usedMillis: callerMillis, machineMillis: 2_000, machineBusyShare: busy });

    it.each<{ name: string; cpu: CpuUsage | undefined; callers?: Partial<ParcObservation>; parallelism: number; instances: number; why: RegExp }>([
      {
        name: 'a saturated machine and slow calls: parallelism raised, no new caller process',
        cpu: machine(0.92),
        parallelism: 128,
        instances: 1,
        why: /^holding 1: CPU held back a scale-up to 4 \(machine 92 % busy, saturated from 85 %; parallelism raised 64 → 128 instead\)/,
      },
      {
        name: 'a machine that 7 more callers would saturate: parallelism raised, then only the callers that fit',
        cpu: machine(0.5),
        parallelism: 128,
        instances: 4,
        why: /^up 1 → 4: 1000\/s arriving, 10000 waiting, one instance handles 640\/s/,
      },
      { name: 'a machine with room: instances, as without a reading', cpu: machine(0.3, 100), parallelism: 64, instances: 8, why: /^up 1 → 8/ },
      { name: 'parallelism already at its maximum: instances, even on a saturated machine', cpu: machine(0.92), callers: { callerParallelism: 512, caller: { arrivalRate: 1_000, backlog: 10_000, inFlight: 512, callLatencyMs: 200 } }, parallelism: 512, instances: 2, why: /^up 1 → 2/ },
      { name: 'no CPU reading: instances, the old behaviour', cpu: undefined, parallelism: 64, instances: 8, why: /^up 1 → 8: 1000\/s arriving, 10000 waiting, one instance handles 320\/s$/ },
    ])('$name', ({ cpu, callers, parallelism, instances, why }) => {
      const plan = decide(observe({ parcs: [slowCalls(callers)], ...(cpu ? { cpu } : {}) }), POLICY);
      expect(plan.parcs[0]?.callerParallelism).toBe(parallelism);
      expect(desired(plan, 'p1/parc-caller')).toBe(instances);
      expect(reason(plan, 'p1/parc-caller')).toMatch(why);
    });

    it('lets a raised parallelism settle (the callers are being rolled onto it) before raising it again', () => {
      const raised = slowCalls({ callerParallelism: 128, caller: { arrivalRate: 1_000, backlog: 10_000, inFlight: 128, callLatencyMs: 200 } });
      const settling = decide(observe({ parcs: [raised], cpu: machine(0.92), lastChangeMs: { 'p1/parallelism': NOW - 2_000 } }), POLICY);
      expect(settling.parcs[0]).toMatchObject({ callerParallelism: 128, reason: expect.stringContaining('settling') as unknown });
      const settled = decide(observe({ parcs: [raised], cpu: machine(0.92), lastChangeMs: { 'p1/parallelism': NOW - 11_000 } }), POLICY);
      expect(settled.parcs[0]?.callerParallelism).toBe(256);
    });

    it('says why parallelism went up instead of processes', () => {
      const plan = decide(observe({ parcs: [slowCalls()], cpu: machine(0.92) }), POLICY);
      expect(plan.parcs[0]?.reason).toBe('parallelism 64 → 128 instead of more callers: callers full (64 of 64 in flight), calls slow (200 ms, waiting on the network) and machine 92 % busy, saturated from 85 %');
    });

    it.each<{ name: string; measured: number | undefined; callers: number; short: string }>([
      // The running caller is charged its request; the new ones 300 m each: 2 of them in the 600 m left.
      { name: 'measured CPU above the request: fewer instances fit', measured: 300, callers: 3, short: '; capacity short: wanted 8, got 3 (CPU judged at 300 m per instance as measured, above the 200 m requested)' },
      { name: 'measured CPU below the request: the request counts', measured: 120, callers: 4, short: '; capacity short: wanted 8, got 4' },
      { name: 'no measurement: the request counts', measured: undefined, callers: 4, short: '; capacity short: wanted 8, got 4' },
    ])('judges capacity on max(requested, measured) CPU: $name', ({ measured, callers, short }) => {
      // 1,400 m: the six minimums take 800 m at their requests (a caller 200 m), 600 m are left.
      const cpu: CpuUsage = { perInstanceMillis: measured === undefined ? {} : { 'p1/parc-caller': measured }, usedMillis: measured ?? 0 };
      const plan = decide(observe({ parcs: [slowCalls()], capacity: { cpuMillis: 1_400, memoryMiB: 16_384 }, cpu }), POLICY);
      expect(desired(plan, 'p1/parc-caller')).toBe(callers);
      expect(reason(plan, 'p1/parc-caller').endsWith(short)).toBe(true);
      expect(withinBudget(plan)).toBe(true);
    });

    it('keeps a minimum that its measured CPU would not fit in: a measurement limits growth, it removes no floor', () => {
      const cpu: CpuUsage = { perInstanceMillis: { 'p1/parc-caller': 800 }, usedMillis: 800 };
      const plan = decide(observe({ parcs: [slowCalls()], capacity: { cpuMillis: 900, memoryMiB: 16_384 }, cpu }), POLICY);
      expect(plan.stages.map((s) => s.desired)).toEqual([1, 1, 1, 1, 1, 1]);
      // The caller is charged its 200 m request: 800 m in all.
      expect(plan.budget.planned.cpuMillis).toBe(800);
    });

    it('changes nothing on a quiet machine whose instances use less than they request', () => {
      const observation = observe({ parcs: [slowCalls()], proxyStore: { arrivalRate: 8_000, backlog: 50_000 } });
      const quiet: CpuUsage = { perInstanceMillis: { 'proxy-store': 40, 'p1/parc-caller': 90 }, usedMillis: 130, machineMillis: 2_000, machineBusyShare: 0.2 };
      expect(decide({ ...observation, cpu: quiet }, POLICY)).toEqual(decide(observation, POLICY));
    });
  });

  describe('does not flap', () => {
    const low = observe({ globalInstances: { proxy: 1, 'proxy-store': 4, responder: 1 } });

    it('holds instances through the scale-down cooldown', () => {
      // Four proxy-stores of 5,000/s at 0.8 are sized for 16,000/s: 6,000/s asks for 2, at 38 % — not idle.
      const plan = decide({ ...low, proxyStore: { arrivalRate: 6_000, backlog: 0 }, lastChangeMs: { 'proxy-store': NOW - 10_000 } }, POLICY);
      expect(desired(plan, 'proxy-store')).toBe(4);
      expect(reason(plan, 'proxy-store')).toMatch(/holding 4 \(load asks for 2; scale-down cooldown, 20 s left\)/);
    });

    it('gives an idle stage (at most a quarter of what it is sized for) back after the shorter idle cooldown', () => {
      const held = decide({ ...low, lastChangeMs: { 'proxy-store': NOW - 4_000 } }, POLICY);
      expect(desired(held, 'proxy-store')).toBe(4);
      expect(reason(held, 'proxy-store')).toMatch(/holding 4 \(load asks for 1; idle scale-down cooldown, 1 s left\)/);
      expect(desired(decide({ ...low, lastChangeMs: { 'proxy-store': NOW - 5_000 } }, POLICY), 'proxy-store')).toBe(1);
    });

    it('changes nothing while the load is within the tolerance of what the instances are sized for', () => {
      // Two outgoing of 3,000/s at 0.8 are sized for 4,800/s: 5,200/s is 108 %, 5,400/s 113 %.
      const two = (rate: number) => observe({ parcs: [parc({ outgoing: { arrivalRate: rate, backlog: 0 }, instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 2 } })] });
      const within = decide(two(5_200), POLICY);
      expect(desired(within, 'p1/parc-outgoing')).toBe(2);
      expect(reason(within, 'p1/parc-outgoing')).toBe('steady at 2 (load at 108.3 % of what it is sized for, within the 10 % tolerance): 5200/s arriving, 0 waiting, one instance handles 3000/s');
      expect(desired(decide(two(5_400), POLICY), 'p1/parc-outgoing')).toBe(3);
    });

    it('scales down to the floor once the cooldown has passed', () => {
      const plan = decide({ ...low, lastChangeMs: { 'proxy-store': NOW - 30_000 } }, POLICY);
      expect(desired(plan, 'proxy-store')).toBe(1);
      expect(reason(plan, 'proxy-store')).toMatch(/^down 4 → 1/);
    });

    it('gives the same plan for the same observation (a restarted loop decides alike)', () => {
      const observation = { ...low, lastChangeMs: { 'proxy-store': NOW - 10_000 } };
      expect(decide(observation, POLICY)).toEqual(decide(JSON.parse(JSON.stringify(observation)) as Observation, POLICY));
    });
  });

  describe('with short capacity', () => {
    it('never plans beyond it, and gives it to the bottleneck before idle stages', () => {
      // 1,800 m: the six minimums take 800 m; the caller wants 6 × 200 m more than that.
      const observation = observe({
        capacity: { cpuMillis: 1_800, memoryMiB: 16_384 },
        globalInstances: { proxy: 1, 'proxy-store': 3, responder: 1 },
        lastChangeMs: { 'proxy-store': NOW - 1_000 }, // holding 3 through its cooldown, idle
        parcs: [parc({ caller: { arrivalRate: 1_000, backlog: 10_000, inFlight: 64, callLatencyMs: 200 } })],
      });
      const plan = decide(observation, POLICY);
      expect(withinBudget(plan)).toBe(true);
      expect(plan.budget.planned.cpuMillis).toBe(1_800);
      expect(desired(plan, 'p1/parc-caller')).toBe(6);
      expect(desired(plan, 'proxy-store')).toBe(1); // its idle instances went to the caller
      expect(reason(plan, 'p1/parc-caller')).toMatch(/capacity short: wanted 8, got 6/);
    });

    it('keeps what runs and its load keeps busy, rather than moving it to the stage furthest behind each tick', () => {
      // outgoing runs 3 and its load keeps them busy (6,500/s at 3,000/s each); the caller is further
      // behind and wants more than the capacity left. Moving outgoing's instances would only move the backlog.
      const observation = observe({
        capacity: { cpuMillis: 1_600, memoryMiB: 16_384 },
        parcs: [
          parc({
            instances: { 'parc-incoming': 1, 'parc-caller': 2, 'parc-outgoing': 3 },
            caller: { arrivalRate: 8_000, backlog: 80_000, inFlight: 128, callLatencyMs: 20 },
            outgoing: { arrivalRate: 6_500, backlog: 0 },
          }),
        ],
      });
      const plan = decide(observation, POLICY);
      expect(withinBudget(plan)).toBe(true);
      expect(desired(plan, 'p1/parc-outgoing')).toBe(3);
      expect(desired(plan, 'p1/parc-caller')).toBeGreaterThanOrEqual(2);
    });

    it('charges what runs and its load keeps busy its request: measured CPU above it limits growth, it does not stop instances', () => {
      // Three outgoing instances kept busy (6,500/s at 3,000/s each), each measured at 300 m where
      // 100 m is requested: charged as measured they would not fit in what is left, and one would
      // be stopped although its load would only move to the other two.
      const observation = observe({
        capacity: { cpuMillis: 1_000, memoryMiB: 16_384 },
        parcs: [parc({ instances: { 'parc-incoming': 1, 'parc-caller': 2, 'parc-outgoing': 3 }, outgoing: { arrivalRate: 6_500, backlog: 0 } })],
        cpu: { perInstanceMillis: { 'p1/parc-outgoing': 300 }, usedMillis: 1_000, machineMillis: 2_000, machineBusyShare: 0.5 },
      });
      const plan = decide(observation, POLICY);
      expect(withinBudget(plan)).toBe(true);
      expect(desired(plan, 'p1/parc-outgoing')).toBe(3);
      // A fourth would be charged as measured: 300 m, which is not left.
      const more = decide({ ...observation, parcs: [parc({ instances: { 'parc-incoming': 1, 'parc-caller': 2, 'parc-outgoing': 3 }, outgoing: { arrivalRate: 9_000, backlog: 0 } })] }, POLICY);
      expect(desired(more, 'p1/parc-outgoing')).toBe(3);
      expect(reason(more, 'p1/parc-outgoing')).toMatch(/capacity short: wanted 4, got 3 \(CPU judged at 300 m/);
    });

    it('plans the minimums in order and stops where capacity ends', () => {
      const plan = decide(observe({ capacity: { cpuMillis: 450, memoryMiB: 16_384 } }), POLICY);
      expect(withinBudget(plan)).toBe(true);
      expect(plan.stages.map((s) => s.desired)).toEqual([1, 1, 1, 0, 0, 0]);
    });

    it.each([100, 1_000, 2_500, 7_000])('stays within %i m whatever the load', (cpuMillis) => {
      const heavy = { arrivalRate: 50_000, backlog: 1_000_000 };
      const plan = decide(
        observe({ capacity: { cpuMillis, memoryMiB: 2_048 }, proxy: heavy, proxyStore: heavy, responder: heavy, parcs: [parc({ incoming: heavy, outgoing: heavy })] }),
        POLICY,
      );
      expect(withinBudget(plan)).toBe(true);
    });
  });

  describe('the set of Parcs', () => {
    const saturated = parc({
      incoming: { arrivalRate: 20_000, backlog: 0 },
      caller: { arrivalRate: 20_000, backlog: 100_000, inFlight: 4_096, callLatencyMs: 500 },
      instances: { 'parc-incoming': 1, 'parc-caller': 8, 'parc-outgoing': 1 },
    });

    const sustained = { [SATURATED_SINCE_KEY]: NOW - 20_000 };

    it('adds a Parc when callers at their max cannot keep up, starting it at the minimums', () => {
      const plan = decide(observe({ parcs: [saturated], lastChangeMs: sustained }), POLICY);
      expect(plan.parcs.map((p) => [p.id, p.action])).toEqual([
        ['p1', 'keep'],
        ['p2', 'create'],
      ]);
      expect(plan.parcs[0]?.reason).toMatch(/^saturated: callers need \d+ instances at parallelism 64, max 8/);
      expect(plan.parcs[1]?.reason).toMatch(/^created: p1 cannot go faster \(for 20 s\); arrivals 20000\/s beyond what the active Parcs carry \([\d.]+\/s\)$/);
      expect((['parc-incoming', 'parc-caller', 'parc-outgoing'] as StageName[]).map((s) => desired(plan, `p2/${s}`))).toEqual([1, 1, 1]);
    });

    it('adds one only once saturation has lasted saturatedForMs without a break; the loop keeps that clock', () => {
      const first = decide(observe({ parcs: [saturated] }), POLICY);
      expect(first.parcs.map((p) => p.action)).toEqual(['keep']);
      expect(first.parcs[0]?.reason).toMatch(/; a new Parc if this lasts 20 s more$/);
      expect(first.parcSaturated).toBe(true);
      // The clock starts at the first saturated tick, is kept while saturation lasts, and is cleared by a break or a new Parc.
      const started = changeTimesAfter(first, observe({ parcs: [saturated] }), {}, NOW);
      expect(started[SATURATED_SINCE_KEY]).toBe(NOW);
      const later = observe({ nowMs: NOW + 15_000, parcs: [saturated], lastChangeMs: started });
      const stillWaiting = decide(later, POLICY);
      expect(stillWaiting.parcs[0]?.reason).toMatch(/a new Parc if this lasts 5 s more$/);
      expect(changeTimesAfter(stillWaiting, later, started, NOW + 15_000)[SATURATED_SINCE_KEY]).toBe(NOW);
      const calm = decide(observe({ parcs: [parc()], lastChangeMs: started }), POLICY);
      expect(calm.parcSaturated).toBe(false);
      expect(changeTimesAfter(calm, observe(), started, NOW + 16_000)).not.toHaveProperty(SATURATED_SINCE_KEY);
      const created = decide(observe({ nowMs: NOW + 20_000, parcs: [saturated], lastChangeMs: started }), POLICY);
      expect(created.parcs.map((p) => p.action)).toEqual(['keep', 'create']);
      expect(changeTimesAfter(created, observe({ parcs: [saturated] }), started, NOW + 20_000)).not.toHaveProperty(SATURATED_SINCE_KEY);
    });

    it('adds none within the add cooldown, beyond the max, or without capacity for its minimums', () => {
      expect(decide(observe({ parcs: [{ ...saturated, createdAtMs: NOW - 5_000 }], lastChangeMs: sustained }), POLICY).parcs).toHaveLength(1);
      const four = ['p1', 'p2', 'p3', 'p4'].map((id) => ({ ...saturated, id }));
      expect(decide(observe({ parcs: four, capacity: { cpuMillis: 100_000, memoryMiB: 100_000 }, lastChangeMs: sustained }), POLICY).parcs.map((p) => p.action)).not.toContain('create');
      const tight = decide(observe({ parcs: [saturated], capacity: { cpuMillis: 1_100, memoryMiB: 16_384 }, lastChangeMs: sustained }), POLICY);
      expect(tight.parcs.map((p) => p.id)).toEqual(['p1']);
      expect(tight.parcs[0]?.reason).toMatch(/no capacity left for a new Parc/);
      expect(withinBudget(tight)).toBe(true);
    });

    it('drains the newest Parc when the others can carry the load, and removes it once empty', () => {
      const quiet = [parc({ id: 'p1' }), parc({ id: 'p2', createdAtMs: 500_000 })];
      const plan = decide(observe({ parcs: quiet }), POLICY);
      expect(plan.parcs.map((p) => [p.id, p.action, p.state])).toEqual([
        ['p1', 'keep', 'active'],
        ['p2', 'drain', 'draining'],
      ]);
      // Still holding work: it keeps its stages.
      const busyDraining = parc({ id: 'p2', state: 'draining', outgoing: { arrivalRate: 0, backlog: 30 }, delayed: { size: 12, dueSoon: 0 } });
      const holding = decide(observe({ parcs: [parc(), busyDraining] }), POLICY);
      expect(holding.parcs[1]).toMatchObject({ id: 'p2', action: 'keep', state: 'draining' });
      expect(desired(holding, 'p2/parc-outgoing')).toBe(1);
      // Empty: removed, its stages go to zero.
      const removed = decide(observe({ parcs: [parc(), parc({ id: 'p2', state: 'draining' })] }), POLICY);
      expect(removed.parcs[1]).toMatchObject({ id: 'p2', action: 'remove', state: 'removed' });
      expect(['parc-incoming', 'parc-caller', 'parc-outgoing'].map((s) => desired(removed, `p2/${s}`))).toEqual([0, 0, 0]);
    });

    it('drains one of many lightly loaded Parcs even when a Parc stage may have only 2 instances', () => {
      const small = { ...POLICY, stages: { ...POLICY.stages, 'parc-caller': stage(200, 1_500, 2) } };
      const light = { incoming: { arrivalRate: 50, backlog: 0 }, caller: { arrivalRate: 50, backlog: 0, inFlight: 3, callLatencyMs: 20 } };
      const five = ['p1', 'p2', 'p3', 'p4', 'p5'].map((id, i) => parc({ ...light, id, createdAtMs: i * 1_000 }));
      // The arrivals needed all five a moment ago: only the slow path (one at a time, on the whole demand) drains.
      const arrivalsJustNeeded = { [ARRIVALS_NEED_PARCS_KEY]: NOW - 1_000 };
      expect(decide(observe({ parcs: five, lastChangeMs: arrivalsJustNeeded }), small).parcs.map((p) => p.action)).toEqual(['keep', 'keep', 'keep', 'keep', 'drain']);
    });

    it('keeps two busy Parcs, and drains none within the drain cooldown', () => {
      const busy = { incoming: { arrivalRate: 5_000, backlog: 0 }, caller: { arrivalRate: 5_000, backlog: 0, inFlight: 1_000, callLatencyMs: 200 } };
      expect(decide(observe({ parcs: [parc(busy), parc({ ...busy, id: 'p2' })] }), POLICY).parcs.map((p) => p.action)).toEqual(['keep', 'keep']);
      const young = [parc(), parc({ id: 'p2', createdAtMs: NOW - 10_000 })];
      expect(decide(observe({ parcs: young }), POLICY).parcs.map((p) => p.action)).toEqual(['keep', 'keep']);
      // Quiet this tick, but every Parc was needed 10 s ago: a lull between bursts drains nothing.
      const lull = observe({ parcs: [parc(), parc({ id: 'p2', createdAtMs: 500_000 })], lastChangeMs: { 'parcs/needed': NOW - 10_000, [ARRIVALS_NEED_PARCS_KEY]: NOW - 10_000 } });
      expect(decide(lull, POLICY).parcs.map((p) => p.action)).toEqual(['keep', 'keep']);
      expect(decide(observe({ parcs: [parc(busy), parc({ ...busy, id: 'p2' })] }), POLICY).parcsNeeded).toBe(true);
      expect(decide(lull, POLICY).parcsNeeded).toBe(false);
    });

    it('creates no Parc when the arrivals fit in the active ones and their backlog is worked off before a new one would be of use', () => {
      // The load has ended: nothing arrives, callers at their max still hold a backlog they work off in seconds.
      const falling = parc({
        incoming: { arrivalRate: 0, backlog: 0 },
        caller: { arrivalRate: 600, backlog: 20_000, inFlight: 4_096, callLatencyMs: 500 },
        instances: { 'parc-incoming': 1, 'parc-caller': 8, 'parc-outgoing': 1 },
      });
      const plan = decide(observe({ parcs: [falling], lastChangeMs: sustained }), POLICY);
      expect(plan.parcs.map((p) => p.action)).toEqual(['keep']);
      expect(plan.parcs[0]?.reason).toMatch(/^saturated: .*; no new Parc: arrivals 0\/s within what the active Parcs carry \([\d.]+\/s\); their backlog of 20000 is worked off in [\d.]+ s, before a new Parc would be of use \(start-up 15 s\)$/);
      // The same backlog with arrivals close to what the Parc carries would take minutes: a Parc pays.
      const capacityOfOne = 8 * Math.min(POLICY.stages['parc-caller'].ratePerInstance, (64 * 1000) / 500) * POLICY.targetUtilisation;
      const steady = { ...falling, incoming: { arrivalRate: capacityOfOne - 50, backlog: 0 } };
      expect(decide(observe({ parcs: [steady], lastChangeMs: sustained }), POLICY).parcs.map((p) => p.action)).toEqual(['keep', 'create']);
    });

    it('drains every surplus Parc at once when the arrivals have fitted in fewer for idleDrainMs, backlog or not, keeping the oldest', () => {
      const withBacklog = (id: string, createdAtMs: number) => parc({ id, createdAtMs, incoming: { arrivalRate: 0, backlog: 0 }, caller: { arrivalRate: 200, backlog: 3_000, inFlight: 64, callLatencyMs: 500 } });
      const three = [withBacklog('p1', 0), withBacklog('p2', 400_000), withBacklog('p3', 500_000)];
      const quiet = decide(observe({ parcs: three, lastChangeMs: { [ARRIVALS_NEED_PARCS_KEY]: NOW - 15_000 } }), POLICY);
      expect(quiet.parcs.map((p) => [p.id, p.action])).toEqual([
        ['p1', 'keep'],
        ['p2', 'drain'],
        ['p3', 'drain'],
      ]);
      expect(quiet.parcs[1]?.reason).toBe('draining: arrivals 0/s have fitted in 1 Parc(s) at half their maximum for 15 s');
      expect(quiet.arrivalsNeedParcs).toBe(false);
      // 10 s of quiet is a lull, not the end of the load.
      expect(decide(observe({ parcs: three, lastChangeMs: { [ARRIVALS_NEED_PARCS_KEY]: NOW - 10_000, 'parcs/needed': NOW - 10_000 } }), POLICY).parcs.map((p) => p.action)).toEqual(['keep', 'keep', 'keep']);
      // Arrivals that need two of the three keep two.
      const capacityOfOne = 8 * Math.min(POLICY.stages['parc-caller'].ratePerInstance, (64 * 1000) / 500) * POLICY.targetUtilisation;
      const busier = three.map((p) => ({ ...p, incoming: { arrivalRate: (0.7 * capacityOfOne) / 3, backlog: 0 } }));
      const two = decide(observe({ parcs: busier, lastChangeMs: { [ARRIVALS_NEED_PARCS_KEY]: NOW - 15_000 } }), POLICY);
      expect(two.parcs.map((p) => p.action)).toEqual(['keep', 'keep', 'drain']);
      // The loop records when the arrivals last needed every Parc.
      const needed = decide(observe({ parcs: busier.slice(0, 2).map((p) => ({ ...p, incoming: { arrivalRate: 0.35 * capacityOfOne, backlog: 0 } })) }), POLICY);
      expect(needed.arrivalsNeedParcs).toBe(true);
      expect(changeTimesAfter(needed, observe(), {}, NOW)[ARRIVALS_NEED_PARCS_KEY]).toBe(NOW);
    });
  });
});

import fc from 'fast-check';
import { decide } from './decide';
import { DEFAULT_SCALING_POLICY } from './policy';
import { GLOBAL_STAGES, PARC_STAGES, stageKey, type CpuUsage, type Observation, type ParcObservation } from './model';

const load = fc.record({ arrivalRate: fc.double({ min: 0, max: 100_000, noNaN: true }), backlog: fc.nat(5_000_000) });
const count = fc.nat(40);

const parc = (id: string, createdAtMs: number): fc.Arbitrary<ParcObservation> =>
  fc.record({
    id: fc.constant(id),
    state: fc.constantFrom('active' as const, 'draining' as const),
    createdAtMs: fc.constant(createdAtMs),
    incoming: load,
    caller: fc.record({ arrivalRate: fc.double({ min: 0, max: 100_000, noNaN: true }), backlog: fc.nat(5_000_000), inFlight: fc.nat(100_000), callLatencyMs: fc.double({ min: 0, max: 60_000, noNaN: true }) }),
    outgoing: load,
    delayed: fc.record({ size: fc.nat(1_000_000), dueSoon: fc.nat(1_000_000) }),
    instances: fc.record({ 'parc-incoming': count, 'parc-caller': count, 'parc-outgoing': count }),
    callerParallelism: fc.integer({ min: 1, max: 2_048 }),
  });

const stageKeys = [...GLOBAL_STAGES.map((stage) => stageKey(stage)), ...['p1', 'p2', 'p3'].flatMap((id) => PARC_STAGES.map((stage) => stageKey(stage, id)))];

const cpu: fc.Arbitrary<CpuUsage | undefined> = fc.option(
  fc.record({
    perInstanceMillis: fc.dictionary(fc.constantFrom(...stageKeys), fc.double({ min: 0, max: 4_000, noNaN: true })),
    usedMillis: fc.double({ min: 0, max: 40_000, noNaN: true }),
    machineMillis: fc.integer({ min: 1_000, max: 64_000 }),
    machineBusyShare: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  { nil: undefined },
);

const observation: fc.Arbitrary<Observation> = fc
  .record({
    nowMs: fc.integer({ min: 0, max: 10_000_000 }),
    proxy: load,
    proxyStore: load,
    responder: load,
    globalInstances: fc.record({ proxy: count, 'proxy-store': count, responder: count }),
    parcs: fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => parc(`p${i + 1}`, i * 100_000)))),
    capacity: fc.record({ cpuMillis: fc.nat(20_000), memoryMiB: fc.nat(32_768) }),
    lastChangeMs: fc.constant({}),
    cpu,
  })
  .map((o) => o as Observation);

describe('decide, for any observation', () => {
  it('never plans more than the capacity, never more than a stage max, and gives every decision a reason', () => {
    fc.assert(
      fc.property(observation, (o) => {
        const plan = decide(o, DEFAULT_SCALING_POLICY);
        expect(plan.budget.planned.cpuMillis).toBeLessThanOrEqual(o.capacity.cpuMillis);
        expect(plan.budget.planned.memoryMiB).toBeLessThanOrEqual(o.capacity.memoryMiB);
        for (const stage of plan.stages) {
          expect(stage.desired).toBeGreaterThanOrEqual(0);
          expect(stage.desired).toBeLessThanOrEqual(DEFAULT_SCALING_POLICY.stages[stage.stage].max);
          expect(stage.reason.length).toBeGreaterThan(0);
        }
        for (const p of plan.parcs) expect(p.reason.length).toBeGreaterThan(0);
        expect(plan.stages).toHaveLength(GLOBAL_STAGES.length + PARC_STAGES.length * plan.parcs.length);
      }),
      { numRuns: 500 },
    );
  });

  it('adds no caller process to a CPU-saturated machine while calls are slow and parallelism can go up', () => {
    const { caller, cpuSaturatedShare } = DEFAULT_SCALING_POLICY;
    fc.assert(
      fc.property(observation, (o) => {
        const plan = decide(o, DEFAULT_SCALING_POLICY);
        if ((o.cpu?.machineBusyShare ?? 0) < cpuSaturatedShare) return;
        for (const parc of o.parcs) {
          const planned = plan.parcs.find((p) => p.id === parc.id);
          const callers = plan.stages.find((s) => s.key === stageKey('parc-caller', parc.id));
          // A stage below its minimum is brought up as before (callersHeldByCpu), CPU or not.
          if (!planned || !callers || planned.action !== 'keep' || parc.caller.callLatencyMs <= caller.fastCallMs || callers.current < DEFAULT_SCALING_POLICY.stages['parc-caller'].min) continue;
          const observed = Math.min(caller.maxParallelism, Math.max(caller.minParallelism, parc.callerParallelism));
          if (planned.callerParallelism >= caller.maxParallelism && planned.callerParallelism <= observed) continue;
          expect(callers.desired).toBeLessThanOrEqual(Math.max(callers.current, DEFAULT_SCALING_POLICY.stages['parc-caller'].min));
        }
      }),
      { numRuns: 500 },
    );
  });
});

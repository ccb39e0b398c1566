import type { DecisionEntry } from '@parc/scheduler';
import { budgetViolations, callerStops, extraParcs, parcChanges, scaleEvents, toTick, type ConsumerTrace, type ParcProcess, type Tick } from './decisions';

type ParcEntry = Tick['parcs'][number];
const parc = (id: string, fields: Partial<ParcEntry> = {}): ParcEntry => ({ id, action: 'keep', state: 'active', callerParallelism: 64, reason: 'steady', ...fields });

/** A tick at `tS` with p1's callers going from `current` to `desired`, and the Parcs given. */
const tick = (tS: number, callers: { current: number; desired: number }, parcs: ParcEntry[] = [parc('p1')], extra: Partial<Tick> = {}): Tick => ({
  tS,
  instances: callers.current + 5,
  desiredInstances: callers.desired + 5,
  parcs,
  stages: [{ key: 'p1/parc-caller', current: callers.current, desired: callers.desired, reason: `${callers.current} → ${callers.desired}` }],
  plannedCpuMillis: 1_000,
  plannedMemoryMiB: 1_000,
  capacityCpuMillis: 2_000,
  capacityMemoryMiB: 4_096,
  applied: true,
  ...extra,
});

describe('toTick', () => {
  it('times the tick from the load start and sums the instances over the stages', () => {
    const entry = {
      atMs: 11_500,
      plan: {
        stages: [{ key: 'proxy', current: 1, desired: 1, reason: 'steady' }, { key: 'p1/parc-caller', current: 2, desired: 3, reason: 'up' }],
        parcs: [{ id: 'p1', action: 'keep', state: 'active', callerParallelism: 64, reason: 'steady' }],
        budget: { capacity: { cpuMillis: 2_000, memoryMiB: 4_096 }, planned: { cpuMillis: 900, memoryMiB: 800 } },
      },
      observation: { cpu: { usedMillis: 640, perInstanceMillis: {}, machineBusyShare: 0.5 } },
      applied: true,
    } as unknown as DecisionEntry;
    expect(toTick(entry, 10_000)).toMatchObject({ tS: 1.5, instances: 3, desiredInstances: 4, plannedCpuMillis: 900, usedCpuMillis: 640, machineBusyShare: 0.5 });
  });
});

describe('the Parc set and scale events', () => {
  const ticks = [
    tick(0, { current: 1, desired: 1 }),
    tick(1, { current: 1, desired: 3 }, [parc('p1'), parc('p2', { action: 'create', reason: 'created: p1 saturated' })]),
    tick(2, { current: 3, desired: 3 }, [parc('p1', { callerParallelism: 128 }), parc('p2')]),
    tick(3, { current: 3, desired: 2 }, [parc('p1', { callerParallelism: 128 }), parc('p2', { action: 'drain', state: 'draining' })], { plannedCpuMillis: 2_100 }),
    tick(4, { current: 2, desired: 2 }, [parc('p1', { callerParallelism: 128 }), parc('p2', { action: 'remove', state: 'removed' })]),
    tick(5, { current: 2, desired: 2 }, [parc('p1', { callerParallelism: 128 })]),
  ];

  it('lists every Parc created, drained and removed', () => {
    expect(parcChanges(ticks).map(({ tS, id, action }) => [tS, id, action])).toEqual([
      [1, 'p2', 'create'],
      [3, 'p2', 'drain'],
      [4, 'p2', 'remove'],
    ]);
  });

  it('lists every change of a stage\'s instances and of a Parc\'s parallelism', () => {
    expect(scaleEvents(ticks).map(({ tS, key, from, to }) => [tS, key, from, to])).toEqual([
      [1, 'p1/parc-caller', 1, 3],
      [2, 'p1/parallelism', 64, 128],
      [3, 'p1/parc-caller', 3, 2],
    ]);
  });

  it('counts a plan beyond the capacity as a budget violation', () => {
    expect(budgetViolations(ticks).map((t) => t.tS)).toEqual([3]);
  });

  it('times the extra Parcs\' removal from the load\'s end, by the plan and by their processes', () => {
    const processes: ParcProcess[] = [
      { app: 'parc-caller', parcId: 'p1', port: 1, firstSeenS: 0 },
      { app: 'parc-caller', parcId: 'p2', port: 2, firstSeenS: 1.5, goneS: 4.6 },
      { app: 'parc-incoming', parcId: 'p2', port: 3, firstSeenS: 1.5, goneS: 4.2 },
    ];
    const result = extraParcs(ticks, processes, 2, 6);
    // The tick at 4 s plans p2's removal: from then on the plan has none.
    expect(result).toMatchObject({ created: ['p2'], removedFromPlanAfterS: 2, leftAtEnd: [], observedAfterS: 4 });
    expect(result.processesGoneAfterS).toBeCloseTo(2.6, 9);
  });

  it('names the extra Parcs still there when the run was last observed', () => {
    const processes: ParcProcess[] = [{ app: 'parc-caller', parcId: 'p2', port: 2, firstSeenS: 1.5 }];
    const result = extraParcs(ticks.slice(0, 4), processes, 2, 6);
    expect(result.leftAtEnd).toEqual(['p2']);
    expect(result.processesGoneAfterS).toBeUndefined();
    expect(result.removedFromPlanAfterS).toBeUndefined();
  });
});

describe('callerStops: how long a stopped caller still held entries of ready', () => {
  const ticks = [tick(0, { current: 2, desired: 2 }), tick(10, { current: 2, desired: 1 }), tick(11, { current: 1, desired: 1 })];
  const processes: ParcProcess[] = [
    { app: 'parc-caller', parcId: 'p1', port: 8101, firstSeenS: -5 },
    { app: 'parc-caller', parcId: 'p1', port: 8102, firstSeenS: -5, goneS: 11.5 },
  ];
  const consumer = (points: [number, number][], fields: Partial<ConsumerTrace> = {}): ConsumerTrace => ({ name: 'parc-caller.p1@vm:8102#1', parcId: 'p1', points, ...fields });

  it.each([
    { name: 'handed back: its pending entries gone 1.5 s after the decision', points: [[0, 40], [10.5, 40], [11.5, 0]] as [number, number][], fields: {}, held: 40, heldFor: 1.5 },
    { name: 'stranded: pending until the lease ran out, 15 s', points: [[0, 40], [25, 0]] as [number, number][], fields: {}, held: 40, heldFor: 15 },
    { name: 'left the group with nothing to wait for', points: [[0, 40]] as [number, number][], fields: { leftGroupS: 12 }, held: 40, heldFor: 2 },
    { name: 'holding nothing when stopped', points: [[0, 40], [9, 0]] as [number, number][], fields: {}, held: 0, heldFor: 0 },
  ])('$name', ({ points, fields, held, heldFor }) => {
    const [stop] = callerStops(ticks, processes, [consumer(points, fields)], 60);
    expect(stop).toMatchObject({ parcId: 'p1', port: 8102, cause: 'scale-down', stopS: 10, exitS: 11.5, heldAtStop: held });
    expect(stop?.heldForS).toBeCloseTo(heldFor, 9);
  });

  it('ends the wait when a new instance takes the port (and adopts what the consumer name held)', () => {
    const successor: ParcProcess = { app: 'parc-caller', parcId: 'p1', port: 8102, firstSeenS: 14 };
    const [stop] = callerStops(ticks, [...processes, successor], [consumer([[0, 40], [40, 0]])], 60);
    expect(stop).toMatchObject({ heldForS: 4, portReusedS: 14 });
  });

  it('leaves the wait unknown when the consumer never let go before the end', () => {
    const [stop] = callerStops(ticks, processes, [consumer([[0, 40]])], 60);
    expect(stop?.heldForS).toBeUndefined();
  });

  it('finds a roll onto a new parallelism, and the removal of the Parc, as the cause', () => {
    const rolled = [tick(0, { current: 2, desired: 2 }), tick(10, { current: 2, desired: 2 }, [parc('p1', { callerParallelism: 128 })])];
    expect(callerStops(rolled, processes, [], 60)[0]?.cause).toBe('roll');
    const removed = [tick(0, { current: 2, desired: 2 }), tick(10, { current: 2, desired: 0 }, [parc('p1', { action: 'remove', state: 'removed' })])];
    expect(callerStops(removed, processes, [], 60)[0]?.cause).toBe('parc removed');
  });

  it('calls a caller that went without such a decision unexplained, timed from its disappearance', () => {
    const [stop] = callerStops([tick(0, { current: 2, desired: 2 })], processes, [consumer([[0, 40], [20, 0]])], 60);
    expect(stop).toMatchObject({ cause: 'unexplained', stopS: 11.5, heldForS: 8.5 });
  });
});

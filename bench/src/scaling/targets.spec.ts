import type { CallerStop, ExtraParcs } from './decisions';
import { scalingTargets, type CostAndService, type SchedulerFindings } from './targets';

const cost = (backlogSeconds: number, cpuSeconds: number, processSeconds: number): CostAndService => ({ backlogSeconds, cpuSeconds, processSeconds });
const noExtra: ExtraParcs = { created: [], leftAtEnd: [], observedAfterS: 70 };
const stop = (heldForS: number | undefined, fields: Partial<CallerStop> = {}): CallerStop => ({ parcId: 'p1', port: 8102, cause: 'scale-down', stopS: 10, exitS: 11, heldAtStop: 30, ...(heldForS === undefined ? {} : { heldForS }), ...fields });
const findings = (fields: Partial<SchedulerFindings> = {}): SchedulerFindings => ({ budgetViolations: 0, ticks: 100, extraParcs: noExtra, callerStops: [stop(1.2)], ...fields });

const byName = (targets: ReturnType<typeof scalingTargets>, start: string) => targets.find((t) => t.target.startsWith(start));

describe('scalingTargets', () => {
  it('judges the scheduler against static-peak and static-default by the issue\'s ratios, with the margin', () => {
    const targets = scalingTargets(cost(110, 60, 600), cost(1_000, 50, 500), cost(100, 100, 1_000), findings());
    expect(targets.map((t) => [t.target, t.status])).toEqual([
      ["backlog-seconds ≤ 1.2× static-peak's", 'met'],
      ["CPU-seconds ≤ 70 % of static-peak's", 'met'],
      ["process-seconds ≤ 70 % of static-peak's", 'met'],
      ["backlog-seconds ≤ 30 % of static-default's", 'met'],
      ['0 budget violations', 'met'],
      ['extra Parcs gone ≤ 60 s after the load ends', 'met'],
      ['no request delayed > 5 s by a scale-down', 'met'],
    ]);
    expect(byName(targets, 'backlog-seconds ≤ 1.2×')).toMatchObject({ value: '110 vs 100 (1.10×)', margin: '8 % below the limit' });
    expect(byName(targets, 'CPU-seconds')).toMatchObject({ value: '60.0 vs 100 (60 %)', margin: '14 % below the limit' });
  });

  it('reports a miss with how far above the limit it is', () => {
    const targets = scalingTargets(cost(300, 90, 900), cost(500, 50, 500), cost(100, 100, 1_000), findings());
    expect(byName(targets, 'backlog-seconds ≤ 1.2×')).toMatchObject({ status: 'missed', margin: '150 % above the limit' });
    expect(byName(targets, 'backlog-seconds ≤ 30 %')).toMatchObject({ status: 'missed', value: '300 vs 500 (60 %)', margin: '100 % above the limit' });
  });

  it('leaves a comparison with a configuration that did not run unmeasured', () => {
    const targets = scalingTargets(cost(1, 1, 1), undefined, undefined, findings());
    expect(targets.slice(0, 4).every((t) => t.status === 'unmeasured')).toBe(true);
    expect(scalingTargets(undefined, cost(1, 1, 1), cost(1, 1, 1), undefined).every((t) => t.status === 'unmeasured')).toBe(true);
  });

  it.each([
    { name: 'gone in time', extra: { created: ['p2'], processesGoneAfterS: 42, removedFromPlanAfterS: 40, leftAtEnd: [], observedAfterS: 70 }, status: 'met', margin: '18.0 s to spare' },
    { name: 'gone late', extra: { created: ['p2'], processesGoneAfterS: 75, leftAtEnd: [], observedAfterS: 90 }, status: 'missed', margin: '15.0 s late' },
    { name: 'still there when last observed', extra: { created: ['p2', 'p3'], leftAtEnd: ['p3'], observedAfterS: 120 }, status: 'missed', margin: 'more than 60.0 s late' },
    { name: 'none created', extra: noExtra, status: 'met', margin: 'no Parc beyond the first was created' },
  ])('extra Parcs: $name', ({ extra, status, margin }) => {
    const target = byName(scalingTargets(cost(1, 1, 1), cost(1, 1, 1), cost(1, 1, 1), findings({ extraParcs: extra })), 'extra Parcs');
    expect(target).toMatchObject({ status, margin });
  });

  it.each([
    { name: 'the longest wait within 5 s', stops: [stop(1.2), stop(3.4, { port: 8103 })], status: 'met', margin: '1.60 s to spare' },
    { name: 'a stranded batch waits for its lease', stops: [stop(1.2), stop(15.5, { port: 8103 })], status: 'missed', margin: '10.5 s over' },
    { name: 'a caller never seen to let go', stops: [stop(undefined)], status: 'missed', margin: 'their entries were still pending to them when last seen' },
    { name: 'no caller stopped', stops: [], status: 'unmeasured', margin: 'the scheduler stopped no caller during the run' },
    { name: 'only callers that went without a decision', stops: [stop(20, { cause: 'unexplained' })], status: 'unmeasured', margin: 'the scheduler stopped no caller during the run' },
  ])('scale-down delay: $name', ({ stops, status, margin }) => {
    const target = byName(scalingTargets(cost(1, 1, 1), cost(1, 1, 1), cost(1, 1, 1), findings({ callerStops: stops })), 'no request delayed');
    expect(target).toMatchObject({ status, margin });
  });

  it('counts budget violations', () => {
    expect(byName(scalingTargets(cost(1, 1, 1), cost(1, 1, 1), cost(1, 1, 1), findings({ budgetViolations: 2 })), '0 budget')).toMatchObject({ status: 'missed', value: '2 of 100 decisions' });
  });
});

/**
 * The issue's targets for Parc, checked against a run. Targets are reported, never asserted:
 * a miss is a finding with its size, not a failure of the bench.
 */
import type { BenchRun, CellResult } from '../results';
import { groupCells, isVoid, kneeIssues, rateRatio, type CellGroup } from './analysis';
import { sortKeys } from './format';

/** The thresholds, as the issue states them. */
export const TARGETS = {
  /** P/A at this target latency… */
  paLatencyMs: 20,
  /** …is at least this. */
  paRatio: 1.2,
  /** P/B in every cell is at least this. */
  pbRatio: 0.5,
  /** P's time to first attempt at half its knee, p50 and p99, at most these (ms). */
  firstAttemptP50Ms: 10,
  firstAttemptP99Ms: 50,
  /** Idle RSS of each Parc app process at most this (MB). */
  idleRssMb: 80,
} as const;

export type TargetStatus = 'met' | 'missed' | 'unmeasured';

/** One target checked in one place (a cell, or a process). */
export interface TargetCheck {
  readonly target: string;
  /** The cell or process the value comes from. */
  readonly where: string;
  readonly value?: number;
  readonly unit: string;
  readonly comparison: '≥' | '≤';
  readonly threshold: number;
  readonly status: TargetStatus;
  /** Why it is unmeasured, or what makes the value doubtful. */
  readonly note?: string;
}

// Redis, the Kafka JVM and the load driver are not Parc apps: the RSS target is for Parc's own processes.
const INFRASTRUCTURE = /redis|kafka|zookeeper|driver|loadgen/i;

/** Whether a process name is one of the system's own apps rather than infrastructure. */
export function isAppProcess(name: string): boolean {
  return !INFRASTRUCTURE.test(name);
}

function check(base: Omit<TargetCheck, 'status'>): TargetCheck {
  if (base.value === undefined || !Number.isFinite(base.value)) return { ...base, value: undefined, status: 'unmeasured' };
  const met = base.comparison === '≥' ? base.value >= base.threshold : base.value <= base.threshold;
  return { ...base, status: met ? 'met' : 'missed' };
}

/** A note when the knees behind a ratio disagree with their steps (see the data checks section). */
function kneeNote(cells: readonly (CellResult | undefined)[]): string | undefined {
  const doubtful = cells.filter((cell): cell is CellResult => cell !== undefined && kneeIssues(cell).length > 0);
  return doubtful.length > 0 ? `knee data inconsistent for ${doubtful.map((cell) => cell.system).join(', ')}` : undefined;
}

function ratioChecks(groups: readonly CellGroup[]): TargetCheck[] {
  const atReference = groups.filter((group) => group.targetLatencyMs === TARGETS.paLatencyMs);
  const pa = atReference.map((group) =>
    check({
      target: `P/A max sustainable rate at ${TARGETS.paLatencyMs} ms`,
      where: group.title,
      value: rateRatio(group, 'A'),
      unit: '',
      comparison: '≥',
      threshold: TARGETS.paRatio,
      note: kneeNote([group.systems.P, group.systems.A]),
    }),
  );
  if (pa.length === 0) {
    const missing = `no ${TARGETS.paLatencyMs} ms cell in this run`;
    pa.push(check({ target: `P/A max sustainable rate at ${TARGETS.paLatencyMs} ms`, where: '—', unit: '', comparison: '≥', threshold: TARGETS.paRatio, note: missing }));
  }
  const pb = groups.map((group) =>
    check({
      target: 'P/B max sustainable rate',
      where: group.title,
      value: rateRatio(group, 'B'),
      unit: '',
      comparison: '≥',
      threshold: TARGETS.pbRatio,
      note: kneeNote([group.systems.P, group.systems.B]),
    }),
  );
  return [...pa, ...pb];
}

function latencyChecks(groups: readonly CellGroup[]): TargetCheck[] {
  return groups.flatMap((group) => {
    const half = group.systems.P?.atHalfKnee;
    const usable = half !== undefined && !isVoid(half) && half.firstAttemptMs.count > 0;
    const note = half === undefined ? 'no half-knee step for P' : isVoid(half) ? 'half-knee step is VOID' : half.firstAttemptMs.count > 0 ? undefined : 'no samples';
    const value = (p: 'p50' | 'p99'): number | undefined => (usable ? half.firstAttemptMs[p] : undefined);
    return [
      check({ target: 'P first attempt p50 at ½ knee', where: group.title, value: value('p50'), unit: 'ms', comparison: '≤', threshold: TARGETS.firstAttemptP50Ms, note }),
      check({ target: 'P first attempt p99 at ½ knee', where: group.title, value: value('p99'), unit: 'ms', comparison: '≤', threshold: TARGETS.firstAttemptP99Ms, note }),
    ];
  });
}

/** Each Parc app's idle RSS, the highest over the cells (it is measured before every staircase). */
function idleRssChecks(groups: readonly CellGroup[]): TargetCheck[] {
  const worst: Record<string, number> = {};
  for (const group of groups) {
    for (const [process, mb] of Object.entries(group.systems.P?.idleRssMb ?? {})) {
      if (isAppProcess(process)) worst[process] = Math.max(worst[process] ?? 0, mb);
    }
  }
  const processes = sortKeys(Object.keys(worst));
  if (processes.length === 0) {
    return [check({ target: 'P idle RSS per app', where: '—', unit: 'MB', comparison: '≤', threshold: TARGETS.idleRssMb, note: 'no idle RSS recorded for P' })];
  }
  return processes.map((process) =>
    check({ target: 'P idle RSS per app', where: process, value: worst[process], unit: 'MB', comparison: '≤', threshold: TARGETS.idleRssMb }),
  );
}

/** Every target check for a run, in the issue's order. */
export function checkTargets(run: BenchRun): TargetCheck[] {
  const groups = groupCells(run);
  return [...ratioChecks(groups), ...latencyChecks(groups), ...idleRssChecks(groups)];
}

/** Headroom (+) or shortfall (−) as a fraction of the threshold; undefined when unmeasured. */
export function targetMargin(target: TargetCheck): number | undefined {
  if (target.value === undefined || target.threshold === 0) return undefined;
  const margin = target.comparison === '≥' ? target.value - target.threshold : target.threshold - target.value;
  return margin / target.threshold;
}

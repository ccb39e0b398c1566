/**
 * Issue #13's targets for the scheduler, against the two static configurations of the same run.
 * Reported, never asserted: a miss is a finding, with by how much. Pure.
 */
import { fmtNum } from '../report/format';
import type { CallerStop, ExtraParcs } from './decisions';

export type TargetStatus = 'met' | 'missed' | 'unmeasured';

export interface ScalingTarget {
  readonly target: string;
  readonly value: string;
  readonly threshold: string;
  readonly status: TargetStatus;
  /** How far from the threshold, in words. */
  readonly margin: string;
}

/** The three figures the targets compare between configurations. */
export interface CostAndService {
  readonly backlogSeconds: number;
  readonly cpuSeconds: number;
  readonly processSeconds: number;
}

/** What only the scheduler's run has. */
export interface SchedulerFindings {
  readonly budgetViolations: number;
  readonly ticks: number;
  readonly extraParcs: ExtraParcs;
  readonly callerStops: readonly CallerStop[];
}

export const LIMITS = {
  backlogVsPeak: 1.2,
  cpuVsPeak: 0.7,
  processVsPeak: 0.7,
  backlogVsDefault: 0.3,
  extraParcsGoneS: 60,
  scaleDownDelayS: 5,
} as const;

const unmeasured = (target: string, threshold: string, why: string): ScalingTarget => ({ target, value: '—', threshold, status: 'unmeasured', margin: why });

/** `value` against `limit × other`, as a ratio, with the margin to the limit. */
function ratioTarget(target: string, what: string, value: number, other: number, limit: number, otherName: string): ScalingTarget {
  const threshold = limit >= 1 ? `≤ ${limit}× ${otherName}'s` : `≤ ${Math.round(limit * 100)} % of ${otherName}'s`;
  if (!(other > 0)) return unmeasured(target, threshold, `${otherName}'s ${what} is 0`);
  const ratio = value / other;
  const met = ratio <= limit;
  const shown = limit >= 1 ? `${ratio.toFixed(2)}×` : `${(ratio * 100).toFixed(0)} %`;
  return {
    target,
    value: `${fmtNum(value)} vs ${fmtNum(other)} (${shown})`,
    threshold,
    status: met ? 'met' : 'missed',
    margin: met ? `${((1 - ratio / limit) * 100).toFixed(0)} % below the limit` : `${((ratio / limit - 1) * 100).toFixed(0)} % above the limit`,
  };
}

function extraParcsTarget(extra: ExtraParcs): ScalingTarget {
  const target = 'extra Parcs gone ≤ 60 s after the load ends';
  const threshold = `≤ ${LIMITS.extraParcsGoneS} s`;
  if (extra.created.length === 0) return { target, value: 'none created', threshold, status: 'met', margin: 'no Parc beyond the first was created' };
  const gone = extra.processesGoneAfterS;
  if (extra.leftAtEnd.length > 0 || gone === undefined) {
    const late = extra.observedAfterS - LIMITS.extraParcsGoneS;
    return { target, value: `${extra.leftAtEnd.join(', ')} still there ${fmtNum(extra.observedAfterS)} s after`, threshold, status: late >= 0 ? 'missed' : 'unmeasured', margin: late >= 0 ? `more than ${fmtNum(late)} s late` : `observed only ${fmtNum(extra.observedAfterS)} s` };
  }
  const met = gone <= LIMITS.extraParcsGoneS;
  const plan = extra.removedFromPlanAfterS === undefined ? '' : ` (removed from the plan at ${fmtNum(extra.removedFromPlanAfterS)} s)`;
  return { target, value: `${fmtNum(gone)} s${plan}`, threshold, status: met ? 'met' : 'missed', margin: met ? `${fmtNum(LIMITS.extraParcsGoneS - gone)} s to spare` : `${fmtNum(gone - LIMITS.extraParcsGoneS)} s late` };
}

function scaleDownTarget(stops: readonly CallerStop[]): ScalingTarget {
  const target = 'no request delayed > 5 s by a scale-down';
  const threshold = `≤ ${LIMITS.scaleDownDelayS} s`;
  const stopped = stops.filter((stop) => stop.cause !== 'unexplained');
  if (stopped.length === 0) return unmeasured(target, threshold, 'the scheduler stopped no caller during the run');
  const never = stopped.filter((stop) => stop.heldForS === undefined && stop.heldAtStop > 0);
  if (never.length > 0) return { target, value: `${never.length} caller(s) never seen to let go`, threshold, status: 'missed', margin: 'their entries were still pending to them when last seen' };
  const longest = stopped.reduce((worst, stop) => ((stop.heldForS ?? 0) > (worst.heldForS ?? 0) ? stop : worst));
  const heldFor = longest.heldForS ?? 0;
  const met = heldFor <= LIMITS.scaleDownDelayS;
  return {
    target,
    value: `longest ${fmtNum(heldFor)} s (${longest.parcId} caller on :${longest.port}, ${longest.cause}, held ${longest.heldAtStop}); ${stopped.length} caller(s) stopped`,
    threshold,
    status: met ? 'met' : 'missed',
    margin: met ? `${fmtNum(LIMITS.scaleDownDelayS - heldFor)} s to spare` : `${fmtNum(heldFor - LIMITS.scaleDownDelayS)} s over`,
  };
}

/** Every target, in the order; a configuration that did not run leaves its comparisons unmeasured. */
export function scalingTargets(scheduler: CostAndService | undefined, staticDefault: CostAndService | undefined, staticPeak: CostAndService | undefined, findings: SchedulerFindings | undefined): ScalingTarget[] {
  const targets: ScalingTarget[] = [];
  const versus = (target: string, what: keyof CostAndService, other: CostAndService | undefined, limit: number, name: string, label: string): void => {
    if (!scheduler || !other) targets.push(unmeasured(target, limit >= 1 ? `≤ ${limit}× ${name}'s` : `≤ ${Math.round(limit * 100)} % of ${name}'s`, `${!scheduler ? 'scheduler' : name} did not run`));
    else targets.push(ratioTarget(target, label, scheduler[what], other[what], limit, name));
  };
  versus('backlog-seconds ≤ 1.2× static-peak\'s', 'backlogSeconds', staticPeak, LIMITS.backlogVsPeak, 'static-peak', 'backlog-seconds');
  versus('CPU-seconds ≤ 70 % of static-peak\'s', 'cpuSeconds', staticPeak, LIMITS.cpuVsPeak, 'static-peak', 'CPU-seconds');
  versus('process-seconds ≤ 70 % of static-peak\'s', 'processSeconds', staticPeak, LIMITS.processVsPeak, 'static-peak', 'process-seconds');
  versus('backlog-seconds ≤ 30 % of static-default\'s', 'backlogSeconds', staticDefault, LIMITS.backlogVsDefault, 'static-default', 'backlog-seconds');
  if (!findings) {
    targets.push(unmeasured('0 budget violations', '0', 'scheduler did not run'), unmeasured('extra Parcs gone ≤ 60 s after the load ends', '≤ 60 s', 'scheduler did not run'), unmeasured('no request delayed > 5 s by a scale-down', '≤ 5 s', 'scheduler did not run'));
    return targets;
  }
  const violations = findings.budgetViolations;
  targets.push({ target: '0 budget violations', value: `${violations} of ${findings.ticks} decisions`, threshold: '0', status: violations === 0 ? 'met' : 'missed', margin: violations === 0 ? 'every plan within the capacity' : `${violations} plan(s) beyond the capacity` });
  targets.push(extraParcsTarget(findings.extraParcs), scaleDownTarget(findings.callerStops));
  return targets;
}

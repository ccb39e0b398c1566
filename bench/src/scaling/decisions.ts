/**
 * What the scheduler's decision log says about a run, with times in seconds from the load's
 * start: instances and Parcs over time, the Parc set changes and scale events, budget
 * violations, when the extra Parcs were gone, and how long each caller it stopped still held
 * entries of its `ready` stream (the delay a scale-down adds). Pure.
 */
import type { DecisionEntry } from '@parc/scheduler';

/** One tick of the decision log, reduced to what the report uses. */
export interface Tick {
  readonly tS: number;
  /** Instances running when it decided, and what it planned, over every stage. */
  readonly instances: number;
  readonly desiredInstances: number;
  readonly parcs: readonly { readonly id: string; readonly action: string; readonly state: string; readonly callerParallelism: number; readonly reason: string }[];
  readonly stages: readonly { readonly key: string; readonly current: number; readonly desired: number; readonly reason: string }[];
  readonly plannedCpuMillis: number;
  readonly plannedMemoryMiB: number;
  readonly capacityCpuMillis: number;
  readonly capacityMemoryMiB: number;
  /** CPU the instances used, as the driver measured it (absent where it could not). */
  readonly usedCpuMillis?: number;
  readonly machineBusyShare?: number;
  readonly applied: boolean;
}

export function toTick(entry: DecisionEntry, originEpochMs: number): Tick {
  const { plan, observation } = entry;
  return {
    tS: (entry.atMs - originEpochMs) / 1000,
    instances: plan.stages.reduce((sum, stage) => sum + stage.current, 0),
    desiredInstances: plan.stages.reduce((sum, stage) => sum + stage.desired, 0),
    parcs: plan.parcs.map(({ id, action, state, callerParallelism, reason }) => ({ id, action, state, callerParallelism, reason })),
    stages: plan.stages.map(({ key, current, desired, reason }) => ({ key, current, desired, reason })),
    plannedCpuMillis: plan.budget.planned.cpuMillis,
    plannedMemoryMiB: plan.budget.planned.memoryMiB,
    capacityCpuMillis: plan.budget.capacity.cpuMillis,
    capacityMemoryMiB: plan.budget.capacity.memoryMiB,
    ...(observation.cpu === undefined ? {} : { usedCpuMillis: observation.cpu.usedMillis }),
    ...(observation.cpu?.machineBusyShare === undefined ? {} : { machineBusyShare: observation.cpu.machineBusyShare }),
    applied: entry.applied,
  };
}

/** Parcs that exist after a tick's plan (created and active or draining; removed ones are gone). */
export const parcsAfter = (tick: Tick): string[] => tick.parcs.filter((parc) => parc.state !== 'removed').map((parc) => parc.id);

export interface ParcChange {
  readonly tS: number;
  readonly id: string;
  readonly action: string;
  readonly reason: string;
}

export function parcChanges(ticks: readonly Tick[]): ParcChange[] {
  return ticks.flatMap((tick) => tick.parcs.filter((parc) => parc.action !== 'keep').map((parc) => ({ tS: tick.tS, id: parc.id, action: parc.action, reason: parc.reason })));
}

export interface ScaleEvent {
  readonly tS: number;
  /** `proxy-store`, `p2/parc-caller`, or `p1/parallelism` for a change of a Parc's caller parallelism. */
  readonly key: string;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

/** Every planned change of a stage's instances, and of a Parc's caller parallelism. */
export function scaleEvents(ticks: readonly Tick[]): ScaleEvent[] {
  const events: ScaleEvent[] = [];
  const parallelism = new Map<string, number>();
  for (const tick of ticks) {
    for (const stage of tick.stages) if (stage.desired !== stage.current) events.push({ tS: tick.tS, key: stage.key, from: stage.current, to: stage.desired, reason: stage.reason });
    for (const parc of tick.parcs) {
      const before = parallelism.get(parc.id);
      if (before !== undefined && before !== parc.callerParallelism && parc.state !== 'removed') events.push({ tS: tick.tS, key: `${parc.id}/parallelism`, from: before, to: parc.callerParallelism, reason: parc.reason });
      parallelism.set(parc.id, parc.callerParallelism);
    }
  }
  return events;
}

/** Ticks whose plan reserves more than the capacity it was given (CPU or memory). */
export function budgetViolations(ticks: readonly Tick[]): Tick[] {
  return ticks.filter((tick) => tick.plannedCpuMillis > tick.capacityCpuMillis || tick.plannedMemoryMiB > tick.capacityMemoryMiB);
}

/** The Parcs beyond the ones the run started with: when the last of them was gone. */
export interface ExtraParcs {
  /** Every Parc created during the run. */
  readonly created: readonly string[];
  /** Seconds after the load ended at which the plan had none of them left (0 if gone before). */
  readonly removedFromPlanAfterS?: number;
  /** Seconds after the load ended at which the last of their processes had exited (0 if before). */
  readonly processesGoneAfterS?: number;
  /** Still there when the run was last observed (`observedUntilS`). */
  readonly leftAtEnd: readonly string[];
  /** How long after the load's end the run was observed. */
  readonly observedAfterS: number;
}

/** A process of a Parc as the sampler saw it (seconds from the load's start). */
export interface ParcProcess {
  readonly app: string;
  readonly parcId?: string;
  readonly port?: number;
  readonly firstSeenS: number;
  /** When it was first seen gone; undefined while it still ran at the end. */
  readonly goneS?: number;
}

export function extraParcs(ticks: readonly Tick[], processes: readonly ParcProcess[], loadEndS: number, observedUntilS: number): ExtraParcs {
  const initial = new Set(ticks[0] === undefined ? [] : ticks[0].parcs.filter((parc) => parc.action !== 'create').map((parc) => parc.id));
  const created = [...new Set(parcChanges(ticks).filter((change) => change.action === 'create').map((change) => change.id))];
  const extraIn = (tick: Tick): string[] => parcsAfter(tick).filter((id) => !initial.has(id));
  const last = ticks[ticks.length - 1];
  const leftInPlan = last === undefined ? [] : extraIn(last);
  const lastWithExtra = [...ticks].reverse().find((tick) => extraIn(tick).length > 0);
  const firstWithout = lastWithExtra === undefined ? undefined : ticks.find((tick) => tick.tS > lastWithExtra.tS);
  const extraProcesses = processes.filter((p) => p.parcId !== undefined && !initial.has(p.parcId));
  const stillRunning = extraProcesses.filter((p) => p.goneS === undefined).map((p) => p.parcId as string);
  const after = (tS: number): number => Math.max(0, tS - loadEndS);
  return {
    created,
    ...(leftInPlan.length > 0 ? {} : { removedFromPlanAfterS: firstWithout === undefined ? 0 : after(firstWithout.tS) }),
    ...(stillRunning.length > 0 ? {} : { processesGoneAfterS: after(Math.max(0, ...extraProcesses.map((p) => p.goneS ?? 0))) }),
    leftAtEnd: [...new Set([...leftInPlan, ...stillRunning])],
    observedAfterS: observedUntilS - loadEndS,
  };
}

/** A consumer of a Parc's `ready` as the pending probe saw it (seconds from the load's start). */
export interface ConsumerTrace {
  readonly name: string;
  readonly parcId: string;
  /** [tS, pending], a point per change. */
  readonly points: readonly (readonly [number, number])[];
  /** When it was first missing from the group after being listed. */
  readonly leftGroupS?: number;
}

/** One caller the scheduler stopped, and how long its entries stayed with it. */
export interface CallerStop {
  readonly parcId: string;
  readonly port: number;
  readonly consumer?: string;
  /** The decision that stopped it: a scale-down, a roll onto a new parallelism, or the Parc's removal. */
  readonly cause: 'scale-down' | 'roll' | 'parc removed' | 'unexplained';
  /** The decision's time (SIGTERM follows within the tick); the process's disappearance when unexplained. */
  readonly stopS: number;
  /** When the process was first seen gone. */
  readonly exitS: number;
  /** Entries pending to its consumer at the stop. */
  readonly heldAtStop: number;
  /** Seconds from the stop until its consumer held nothing (or left the group); undefined if never seen so. */
  readonly heldForS?: number;
  /** When a new instance took its port (and its consumer name, adopting what it held) before that. */
  readonly portReusedS?: number;
}

/** The consumer named after an instance on `port` (`<service>.<parc>@<host>:<port>#<n>`). */
const portOf = (consumer: string): number | undefined => {
  const match = /:(\d+)#\d+$/.exec(consumer);
  return match ? Number(match[1]) : undefined;
};

/** The step function's value at `tS`: the last point at or before it (the first point when none is). */
function pendingAt(points: readonly (readonly [number, number])[], tS: number): number {
  let value = points[0]?.[1] ?? 0;
  for (const [t, pending] of points) {
    if (t > tS) break;
    value = pending;
  }
  return value;
}

/** The decision that stopped a caller of `parcId` that was gone by `goneS`, and why. */
function stoppingDecision(ticks: readonly Tick[], parcId: string, firstSeenS: number, goneS: number): { tS: number; cause: CallerStop['cause'] } | undefined {
  const key = `${parcId}/parc-caller`;
  let parallelism: number | undefined;
  let found: { tS: number; cause: CallerStop['cause'] } | undefined;
  for (const tick of ticks) {
    if (tick.tS > goneS) break;
    const parc = tick.parcs.find((p) => p.id === parcId);
    const stage = tick.stages.find((s) => s.key === key);
    const rolled = parc !== undefined && parallelism !== undefined && parc.callerParallelism !== parallelism;
    if (parc !== undefined) parallelism = parc.callerParallelism;
    if (tick.tS < firstSeenS) continue;
    if (parc?.action === 'remove') found = { tS: tick.tS, cause: 'parc removed' };
    else if (stage !== undefined && stage.desired < stage.current) found = { tS: tick.tS, cause: 'scale-down' };
    else if (rolled) found = { tS: tick.tS, cause: 'roll' };
  }
  return found;
}

/**
 * For every caller process that went during the run: the decision that stopped it, and how long
 * its consumer in `ready`'s group still held entries after it — the time those requests waited
 * because their instance went (a clean hand-back: its calls under way plus a reclaim pass; a
 * stranded batch: its lease). A new instance on the same port takes the consumer's name and
 * adopts what it held: the wait ends there.
 */
export function callerStops(ticks: readonly Tick[], processes: readonly ParcProcess[], consumers: readonly ConsumerTrace[], endS: number): CallerStop[] {
  const callers = processes.filter((p) => p.app === 'parc-caller' && p.parcId !== undefined && p.port !== undefined);
  const stops = callers.flatMap((caller): CallerStop[] => {
    const goneS = caller.goneS;
    if (goneS === undefined) return [];
    const parcId = caller.parcId as string;
    const port = caller.port as number;
    const decision = stoppingDecision(ticks, parcId, caller.firstSeenS, goneS);
    const stopS = decision?.tS ?? goneS;
    const successor = callers.find((other) => other !== caller && other.parcId === parcId && other.port === port && other.firstSeenS >= goneS);
    const consumer = consumers.find((c) => c.parcId === parcId && portOf(c.name) === port && c.points.some(([t]) => t <= goneS));
    const base = { parcId, port, cause: decision?.cause ?? ('unexplained' as const), stopS, exitS: goneS, ...(successor ? { portReusedS: successor.firstSeenS } : {}) };
    if (consumer === undefined) return [{ ...base, heldAtStop: 0 }];
    const heldAtStop = pendingAt(consumer.points, stopS);
    const cleared = heldAtStop === 0 ? stopS : consumer.points.find(([t, pending]) => t >= stopS && pending === 0)?.[0];
    const candidates = [cleared, consumer.leftGroupS !== undefined && consumer.leftGroupS >= stopS ? consumer.leftGroupS : undefined, successor?.firstSeenS].filter((t): t is number => t !== undefined);
    const until = candidates.length > 0 ? Math.min(...candidates) : undefined;
    return [{ ...base, consumer: consumer.name, heldAtStop, ...(until === undefined ? {} : { heldForS: Math.min(until, endS) - stopS }) }];
  });
  return stops.sort((a, b) => a.stopS - b.stopS || a.port - b.port);
}

/** Instances (as the plans counted them) and Parcs over time: [tS, instances, desired, active Parcs, draining Parcs]. */
export function instancesOverTime(ticks: readonly Tick[]): [number, number, number, number, number][] {
  return ticks.map((tick) => [tick.tS, tick.instances, tick.desiredInstances, tick.parcs.filter((p) => p.state === 'active').length, tick.parcs.filter((p) => p.state === 'draining').length]);
}

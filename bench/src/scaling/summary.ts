/**
 * One configuration's live run reduced to its figures (see bench/README.md, "Scaling"): what it
 * served, its backlog and catch-up times, what it cost (CPU, processes, CPU requested), and for
 * the scheduler what it decided. Pure: it only reads the recorded run.
 */
import type { ScalingPolicy, StageName } from '@parc/scaling';
import type { DecisionEntry } from '@parc/scheduler';
import { percentiles } from '../load/stats';
import type { Percentiles } from '../results';
import { backlogSeconds, backlogSeries, catchUpTimes, cumulativeAt, perSecond, stepIntegral, type CatchUp, type RequestTimes } from './analysis';
import { budgetViolations, callerStops, extraParcs, instancesOverTime, parcChanges, scaleEvents, toTick, type CallerStop, type ExtraParcs, type ParcChange, type ParcProcess, type ScaleEvent } from './decisions';
import type { LiveRun } from './live';
import type { MissingRequest } from './probes';
import type { ConfigurationId, StaticSizing } from './stacks';
import type { LoadEvent } from './workload';

export interface SchedulerSummary {
  readonly ticks: number;
  /** The scheduler process's own CPU over the trace (part of the configuration's CPU-seconds), seconds. */
  readonly ownCpuSeconds?: number;
  readonly budgetViolations: readonly { readonly tS: number; readonly plannedCpuMillis: number; readonly capacityCpuMillis: number; readonly plannedMemoryMiB: number; readonly capacityMemoryMiB: number }[];
  readonly parcChanges: readonly ParcChange[];
  readonly scaleEvents: readonly ScaleEvent[];
  readonly extraParcs: ExtraParcs;
  readonly callerStops: readonly CallerStop[];
  readonly pendingProbe?: { readonly samples: number; readonly failures: number };
  /** [tS, instances running, instances planned, active Parcs, draining Parcs, CPU planned (m), CPU used as the driver measured it (m)] per tick. */
  readonly overTime: { readonly columns: readonly string[]; readonly rows: readonly (readonly number[])[] };
  readonly peakPlannedCpuMillis: number;
  readonly capacityCpuMillis: number;
  /** The decision log as the scheduler served it, oldest first. */
  readonly decisions: readonly DecisionEntry[];
}

export interface ConfigurationResult {
  readonly id: ConfigurationId;
  readonly sizing?: StaticSizing;
  readonly logDir: string;
  readonly window: { readonly loadEndS: number; readonly traceEndS: number; readonly observedUntilS: number };
  readonly requests: { readonly offered: number; readonly accepted: number; readonly refused: number; readonly calledBack: number; readonly unfinished: number; readonly duplicateCallbacks: number; readonly extraCalls: number; readonly anomalies: number; readonly maxSendLagMs: number };
  /** From the 202 to the callback, seconds, of the requests called back. */
  readonly timeInSystemS: Percentiles;
  /** Accepted and not yet called back, integrated over the run (request·s). */
  readonly backlogSeconds: number;
  /** The part of it spent in calls at the target (each call lasts the target's latency). */
  readonly inCallSeconds: number;
  readonly catchUp: readonly CatchUp[];
  /** CPU of the configuration's processes (the scheduler included for its run) over the trace, and of Redis and the Kafka JVM beside it, seconds. */
  readonly cpuSeconds: number;
  readonly infrastructureCpuSeconds: number;
  /**
   * A static configuration's CPU per app over the trace, in ms per request offered: what each
   * stage really costs here, beside the policy's profile figures (libs/scaling/src/policy.ts).
   * Absent for the scheduler's, whose instances come and go between samples.
   */
  readonly cpuMsPerRequestByApp?: Readonly<Record<string, number>>;
  /** Processes running, integrated over the trace (process·s), and the most at once. */
  readonly processSeconds: number;
  readonly peakProcesses: number;
  /** CPU requested by the running instances (the policy's requests), integrated over the trace (core·s), and its peak (m). */
  readonly allocatedCoreS: number;
  readonly peakAllocatedCpuMillis: number;
  /** Once a second: see `columns`. */
  readonly perSecond: { readonly columns: readonly string[]; readonly rows: readonly (readonly number[])[] };
  readonly processes: readonly ParcProcess[];
  /** The first requests accepted and never called back (up to 50), to follow them in the logs: where each got to. */
  readonly unfinishedRequests?: readonly { readonly clientId: string; readonly acceptedS: number; readonly firstCallS: number | null; readonly calls: number; readonly requestId?: string; readonly status?: MissingRequest['status'] }[];
  /** The Parcs' streams and delayed sets when requests were still missing at the end. */
  readonly parcQueuesAtEnd?: Record<string, unknown>;
  readonly scheduler?: SchedulerSummary;
}

export const PER_SECOND_COLUMNS = ['second', 'offered', 'accepted', 'completed', 'backlog', 'processes', 'allocatedCpuMillis', 'usedCpuMillis'] as const;

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** CPU requested per process of an app (0 for the scheduler and anything else the policy does not size). */
function requestOf(policy: ScalingPolicy, app: string): number {
  return app in policy.stages ? policy.stages[app as StageName].resources.cpuMillis : 0;
}

export function summarise(run: LiveRun, events: readonly LoadEvent[], loadEndS: number, targetLatencyS: number, policy: ScalingPolicy): ConfigurationResult {
  const rel = (perf: number | undefined): number => (perf === undefined ? Number.NaN : (perf - run.origin.perf) / 1000);
  const times: RequestTimes = { offeredS: run.requests.map((r) => rel(r.intendedAt)), acceptedS: run.requests.map((r) => rel(r.acceptedAt)), calledBackS: run.calledBackS };
  const end = run.observedUntilS;
  const seconds = Math.ceil(end);
  const backlog = backlogSeries(times, end);
  const samples = run.samples.map((s) => ({ tS: rel(s.at), cpuMs: s.cpuMs, infraMs: s.infrastructureCpuMs, byApp: s.byApp }));
  const count = (byApp: Readonly<Record<string, number>>): number => Object.values(byApp).reduce((sum, n) => sum + n, 0);
  const allocated = (byApp: Readonly<Record<string, number>>): number => Object.entries(byApp).reduce((sum, [app, n]) => sum + n * requestOf(policy, app), 0);
  const at = (tS: number): (typeof samples)[number] | undefined => [...samples].reverse().find((s) => s.tS <= tS) ?? samples[0];
  const cpu = samples.map((s) => [s.tS, s.cpuMs] as const);
  const infra = samples.map((s) => [s.tS, s.infraMs] as const);
  const window = run.traceEndS;
  const [offered, accepted, completed] = [times.offeredS, times.acceptedS, times.calledBackS].map((list) => perSecond(list, seconds)) as [number[], number[], number[]];
  const rows = Array.from({ length: seconds }, (_, k) => {
    const sample = at(k + 1);
    const used = cumulativeAt(cpu, k + 1) - cumulativeAt(cpu, k);
    return [k, offered[k] ?? 0, accepted[k] ?? 0, completed[k] ?? 0, backlog[k + 1] ?? backlog[k] ?? 0, sample ? count(sample.byApp) : 0, sample ? allocated(sample.byApp) : 0, Math.round(used)];
  });
  const stepSeries = (value: (byApp: Readonly<Record<string, number>>) => number): [number, number][] => samples.map((s) => [Math.max(0, s.tS), value(s.byApp)]);
  const inTime = run.calledBackS.map((cb, i) => cb - (times.acceptedS[i] ?? Number.NaN)).filter(Number.isFinite);
  const calledBack = run.calledBackS.filter(Number.isFinite).length;
  const acceptedCount = times.acceptedS.filter(Number.isFinite).length;
  const processes: ParcProcess[] = run.processes.map((p) => ({ app: p.app, ...(p.parcId === undefined ? {} : { parcId: p.parcId }), ...(p.port === undefined ? {} : { port: p.port }), firstSeenS: round(rel(p.firstSeen), 2), ...(p.goneBy === undefined ? {} : { goneS: round(rel(p.goneBy), 2) }) }));
  return {
    id: run.id,
    ...(run.sizing === undefined ? {} : { sizing: run.sizing }),
    logDir: run.logDir,
    window: { loadEndS, traceEndS: run.traceEndS, observedUntilS: round(end) },
    requests: {
      offered: run.requests.length,
      accepted: acceptedCount,
      refused: run.refused,
      calledBack,
      unfinished: acceptedCount - calledBack,
      duplicateCallbacks: run.deliveries.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      extraCalls: run.calls.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      anomalies: run.anomalies,
      maxSendLagMs: Math.round(run.maxSendLagMs),
    },
    timeInSystemS: percentiles(inTime),
    backlogSeconds: round(backlogSeconds(times, end)),
    inCallSeconds: round(run.calls.reduce((sum, n, i) => sum + (Number.isFinite(run.firstCallS[i]) ? n * targetLatencyS : 0), 0)),
    catchUp: catchUpTimes(backlog, events),
    cpuSeconds: round((cumulativeAt(cpu, window) - cumulativeAt(cpu, 0)) / 1000),
    infrastructureCpuSeconds: round((cumulativeAt(infra, window) - cumulativeAt(infra, 0)) / 1000),
    ...(run.sizing === undefined ? {} : { cpuMsPerRequestByApp: perRequestByApp(run.samples, rel, window, run.requests.length) }),
    processSeconds: round(stepIntegral(stepSeries(count), window)),
    peakProcesses: Math.max(0, ...samples.map((s) => count(s.byApp))),
    allocatedCoreS: round(stepIntegral(stepSeries(allocated), window) / 1000),
    peakAllocatedCpuMillis: Math.max(0, ...samples.map((s) => allocated(s.byApp))),
    perSecond: { columns: PER_SECOND_COLUMNS, rows },
    processes,
    unfinishedRequests: run.requests.flatMap((request, i) =>
      Number.isFinite(times.acceptedS[i]) && !Number.isFinite(run.calledBackS[i])
        ? [{ clientId: request.clientId, acceptedS: round(times.acceptedS[i] as number, 2), firstCallS: Number.isFinite(run.firstCallS[i]) ? round(run.firstCallS[i] as number, 2) : null, calls: run.calls[i] ?? 0, ...missingStatus(run, request.clientId) }]
        : [],
    ).slice(0, 50),
    ...(run.missing === undefined ? {} : { parcQueuesAtEnd: run.missing.parcQueues }),
    ...(run.decisions.length === 0 ? {} : { scheduler: schedulerSummary(run, processes, loadEndS, end) }),
  };
}

/** What the status API said of a request that never called back. */
function missingStatus(run: LiveRun, clientId: string): { requestId?: string; status?: MissingRequest['status'] } {
  const found = run.missing?.requests.find((m) => m.clientId === clientId);
  if (found === undefined) return {};
  return { ...(found.requestId === undefined ? {} : { requestId: found.requestId }), ...(found.status === undefined ? {} : { status: found.status }) };
}

/** CPU per app between the trace's start and end, per request offered (see `cpuMsPerRequestByApp`). */
function perRequestByApp(samples: LiveRun['samples'], rel: (perf: number) => number, endS: number, requests: number): Record<string, number> {
  const first = samples.find((s) => rel(s.at) >= 0);
  const last = [...samples].reverse().find((s) => rel(s.at) <= endS);
  if (first === undefined || last === undefined || requests === 0) return {};
  return Object.fromEntries(Object.entries(last.cpuMsByApp).map(([app, ms]) => [app, round((ms - (first.cpuMsByApp[app] ?? 0)) / requests, 3)]));
}

function schedulerSummary(run: LiveRun, processes: readonly ParcProcess[], loadEndS: number, endS: number): SchedulerSummary {
  const ticks = run.decisions.map((entry) => toTick(entry, run.origin.epochMs));
  const rel = (perf: number): number => (perf - run.origin.perf) / 1000;
  const own = run.samples.map((s) => [rel(s.at), s.rootsOwnCpuMs] as const);
  const consumers = run.consumers.map((c) => ({ name: c.name, parcId: c.parcId, points: c.points.map(([at, pending]) => [rel(at), pending] as const), ...(c.leftGroupAt === undefined ? {} : { leftGroupS: rel(c.leftGroupAt) }) }));
  const over = instancesOverTime(ticks);
  return {
    ticks: ticks.length,
    ownCpuSeconds: round((cumulativeAt(own, run.traceEndS) - cumulativeAt(own, 0)) / 1000),
    budgetViolations: budgetViolations(ticks).map((t) => ({ tS: round(t.tS), plannedCpuMillis: t.plannedCpuMillis, capacityCpuMillis: t.capacityCpuMillis, plannedMemoryMiB: t.plannedMemoryMiB, capacityMemoryMiB: t.capacityMemoryMiB })),
    parcChanges: parcChanges(ticks).map((c) => ({ ...c, tS: round(c.tS) })),
    scaleEvents: scaleEvents(ticks).map((e) => ({ ...e, tS: round(e.tS) })),
    extraParcs: extraParcs(ticks, processes, loadEndS, endS),
    callerStops: callerStops(ticks, processes, consumers, endS),
    ...(run.probe === undefined ? {} : { pendingProbe: run.probe }),
    overTime: {
      columns: ['tS', 'instances', 'desiredInstances', 'activeParcs', 'drainingParcs', 'plannedCpuMillis', 'usedCpuMillis'],
      rows: over.map((row, i) => [round(row[0]), row[1], row[2], row[3], row[4], ticks[i]?.plannedCpuMillis ?? 0, Math.round(ticks[i]?.usedCpuMillis ?? Number.NaN)]),
    },
    peakPlannedCpuMillis: Math.max(0, ...ticks.map((t) => t.plannedCpuMillis)),
    capacityCpuMillis: ticks[0]?.capacityCpuMillis ?? 0,
    decisions: run.decisions,
  };
}

import type { Observation, Plan, Resources } from '@parc/scaling';
import type { BatchStatus, DestinationState } from '@parc/store';

/** One queue's reading at a tick: what waits, what a consumer holds, and how many were ever added. */
export interface QueueSample {
  readonly waiting: number;
  readonly inFlight: number;
  readonly added: number;
}

/**
 * What the dashboard is drawn from: one observation of the pipeline. The scheduler's decision log
 * entries have this shape (plus fields the dashboard does not use); the embedded mode, which has
 * no scheduler, makes its own without a plan.
 */
export interface DashboardTick {
  readonly atMs: number;
  readonly driver: string;
  /** Raw readings by signal name (`inbox`, `responses`, `callbacks`, `p1/requests`, `p1/ready`, `p1/done`, `p1/delayed`). */
  readonly readings: {
    readonly queues: Readonly<Record<string, QueueSample>>;
    readonly delayed: Readonly<Record<string, { readonly size: number; readonly dueSoon: number }>>;
  };
  readonly observation: Observation;
  /** The scheduler's plan for this tick; absent where nothing plans (the embedded mode). */
  readonly plan?: Plan;
  readonly applied?: boolean;
  readonly error?: string;
}

export interface QueueView {
  /** Signal name: `inbox`, `p1/ready`, … */
  readonly name: string;
  readonly waiting: number;
  readonly inFlight: number;
  /** waiting + inFlight. */
  readonly backlog: number;
  /** Messages added per second, over the rate window. */
  readonly inPerSecond: number;
  /** Messages taken off (acknowledged) per second: what was added minus what the backlog grew by. */
  readonly outPerSecond: number;
}

export interface StageView {
  /** `proxy-store`, or `p1/parc-caller`. */
  readonly key: string;
  readonly instances: number;
  /** What the scheduler planned this tick, when it planned a change. */
  readonly desired?: number;
  readonly reason?: string;
}

export interface ParcView {
  readonly id: string;
  readonly state: 'active' | 'draining';
  readonly createdAtMs: number;
  readonly instances: Readonly<Record<string, number>>;
  readonly callerParallelism: number;
  readonly callLatencyMs: number;
  readonly delayed: { readonly size: number; readonly dueSoon: number };
}

export interface DecisionView {
  readonly atMs: number;
  /** The stage key or Parc id it is about. */
  readonly subject: string;
  /** `instances`, `parallelism` or the Parc action (`create`, `drain`, `remove`). */
  readonly change: string;
  readonly from?: number;
  readonly to?: number;
  readonly reason: string;
  readonly applied: boolean;
  readonly error?: string;
}

export interface BudgetView {
  readonly capacity?: Resources;
  readonly planned?: Resources;
  /** Millicores Parc's instances used, measured, and the machine's share busy, where the driver reads it. */
  readonly usedCpuMillis?: number;
  readonly machineCpuMillis?: number;
  readonly machineBusyShare?: number;
}

/** Backlog per queue kind (every Parc's summed) and instances over time, oldest first: the charts' series. */
export interface HistoryView {
  readonly atMs: readonly number[];
  readonly backlog: Readonly<Record<string, readonly number[]>>;
  readonly instances: readonly number[];
  readonly parcs: readonly number[];
}

/** Everything the page shows, as `GET /dashboard/state` answers it. */
export interface DashboardView {
  readonly atMs: number;
  /** Where the picture comes from: the scheduler's decision log, or the embedded mode's own readings. */
  readonly source: 'scheduler' | 'embedded';
  readonly driver: string;
  /** When the newest tick was observed; undefined before the first one. */
  readonly observedAtMs?: number;
  readonly queues: readonly QueueView[];
  readonly stages: readonly StageView[];
  readonly parcs: readonly ParcView[];
  readonly budget: BudgetView;
  readonly decisions: readonly DecisionView[];
  readonly history: HistoryView;
  readonly batches: readonly BatchStatus[];
  readonly destinations: readonly DestinationState[];
}

/** Queue kinds drawn as one line each in the backlog chart; a Parc's queues add up into their kind. */
export const BACKLOG_SERIES = ['inbox', 'requests', 'ready', 'delayed', 'done', 'responses', 'callbacks'] as const;

/** `p1/ready` → `ready`; `inbox` → `inbox`. */
function queueKind(signal: string): string {
  const slash = signal.indexOf('/');
  return slash < 0 ? signal : signal.slice(slash + 1);
}

function backlogOf(sample: QueueSample | undefined): number {
  return sample === undefined ? 0 : sample.waiting + sample.inFlight;
}

function totalInstances(observation: Observation): number {
  const global = Object.values(observation.globalInstances).reduce((sum, count) => sum + count, 0);
  return observation.parcs.reduce((sum, parc) => sum + Object.values(parc.instances).reduce((a, b) => a + b, 0), global);
}

/** The decisions a tick made: every planned change of instances, parallelism or Parc, with its reason. */
export function decisionsOf(tick: DashboardTick): DecisionView[] {
  const plan = tick.plan;
  if (plan === undefined) return [];
  const applied = tick.applied ?? true;
  const outcome = tick.error === undefined ? { applied } : { applied, error: tick.error };
  const changes: DecisionView[] = [];
  for (const stage of plan.stages) {
    if (stage.desired !== stage.current) changes.push({ atMs: tick.atMs, subject: stage.key, change: 'instances', from: stage.current, to: stage.desired, reason: stage.reason, ...outcome });
  }
  for (const parc of plan.parcs) {
    if (parc.action !== 'keep') changes.push({ atMs: tick.atMs, subject: parc.id, change: parc.action, reason: parc.reason, ...outcome });
    const observed = tick.observation.parcs.find((candidate) => candidate.id === parc.id);
    if (observed !== undefined && parc.action === 'keep' && observed.callerParallelism !== parc.callerParallelism) {
      changes.push({ atMs: tick.atMs, subject: `${parc.id}/parc-caller`, change: 'parallelism', from: observed.callerParallelism, to: parc.callerParallelism, reason: parc.reason, ...outcome });
    }
  }
  return changes;
}

/**
 * The ticks the page is drawn from, newest last, bounded by count, with the decisions they made
 * kept longer than the ticks (a decision is rarer than a tick and is what an operator looks for).
 * Ticks are merged by time, so that the same tick read twice (the log is polled) counts once.
 */
export class TickHistory {
  private readonly ticks: DashboardTick[] = [];
  private readonly decisions: DecisionView[] = [];

  constructor(
    private readonly maxTicks = 300,
    private readonly maxDecisions = 100,
  ) {}

  /** When the newest tick held was observed. */
  get newestAtMs(): number | undefined {
    return this.ticks.at(-1)?.atMs;
  }

  /** Adds the ticks newer than the newest held, in any order. */
  add(ticks: readonly DashboardTick[]): void {
    const newest = this.newestAtMs ?? -Infinity;
    const fresh = ticks.filter((tick) => tick.atMs > newest).sort((a, b) => a.atMs - b.atMs);
    for (const tick of fresh) {
      this.ticks.push(tick);
      this.decisions.push(...decisionsOf(tick));
    }
    this.ticks.splice(0, Math.max(0, this.ticks.length - this.maxTicks));
    this.decisions.splice(0, Math.max(0, this.decisions.length - this.maxDecisions));
  }

  /** The view of the newest tick, with rates over `rateWindowMs` and the history held. */
  view(input: { readonly nowMs: number; readonly source: DashboardView['source']; readonly rateWindowMs?: number; readonly batches?: readonly BatchStatus[]; readonly destinations?: readonly DestinationState[] }): DashboardView {
    const newest = this.ticks.at(-1);
    const rateWindowMs = input.rateWindowMs ?? 5_000;
    // The oldest tick within the rate window, other than the newest itself.
    const base = newest === undefined ? undefined : this.ticks.find((tick) => tick.atMs >= newest.atMs - rateWindowMs && tick !== newest);
    return {
      atMs: input.nowMs,
      source: input.source,
      driver: newest?.driver ?? 'none',
      ...(newest === undefined ? {} : { observedAtMs: newest.atMs }),
      queues: newest === undefined ? [] : queueViews(newest, base),
      stages: newest === undefined ? [] : stageViews(newest),
      parcs: newest === undefined ? [] : parcViews(newest),
      budget: newest === undefined ? {} : budgetView(newest),
      decisions: [...this.decisions].reverse(),
      history: historyView(this.ticks),
      batches: input.batches ?? [],
      destinations: input.destinations ?? [],
    };
  }
}

function queueViews(newest: DashboardTick, base: DashboardTick | undefined): QueueView[] {
  const seconds = base === undefined ? 0 : (newest.atMs - base.atMs) / 1000;
  return Object.entries(newest.readings.queues).map(([name, sample]) => {
    const before = base?.readings.queues[name];
    const added = before === undefined || seconds <= 0 ? 0 : Math.max(0, sample.added - before.added);
    const grew = before === undefined ? 0 : backlogOf(sample) - backlogOf(before);
    const inPerSecond = seconds > 0 ? added / seconds : 0;
    const outPerSecond = seconds > 0 ? Math.max(0, (added - grew) / seconds) : 0;
    return { name, waiting: sample.waiting, inFlight: sample.inFlight, backlog: backlogOf(sample), inPerSecond, outPerSecond };
  });
}

function stageViews(tick: DashboardTick): StageView[] {
  const planned = new Map((tick.plan?.stages ?? []).map((stage) => [stage.key, stage]));
  const view = (key: string, instances: number): StageView => {
    const plan = planned.get(key);
    return plan !== undefined && plan.desired !== instances ? { key, instances, desired: plan.desired, reason: plan.reason } : { key, instances };
  };
  const global = Object.entries(tick.observation.globalInstances).map(([stage, count]) => view(stage, count));
  const parcs = tick.observation.parcs.flatMap((parc) => Object.entries(parc.instances).map(([stage, count]) => view(`${parc.id}/${stage}`, count)));
  return [...global, ...parcs];
}

function parcViews(tick: DashboardTick): ParcView[] {
  return tick.observation.parcs.map((parc) => ({
    id: parc.id,
    state: parc.state,
    createdAtMs: parc.createdAtMs,
    instances: parc.instances,
    callerParallelism: parc.callerParallelism,
    callLatencyMs: Math.round(parc.caller.callLatencyMs),
    delayed: parc.delayed,
  }));
}

function budgetView(tick: DashboardTick): BudgetView {
  const cpu = tick.observation.cpu;
  return {
    capacity: tick.plan?.budget.capacity ?? tick.observation.capacity,
    ...(tick.plan === undefined ? {} : { planned: tick.plan.budget.planned }),
    ...(cpu === undefined ? {} : { usedCpuMillis: cpu.usedMillis }),
    ...(cpu?.machineMillis === undefined ? {} : { machineCpuMillis: cpu.machineMillis }),
    ...(cpu?.machineBusyShare === undefined ? {} : { machineBusyShare: cpu.machineBusyShare }),
  };
}

function historyView(ticks: readonly DashboardTick[]): HistoryView {
  const backlog: Record<string, number[]> = Object.fromEntries(BACKLOG_SERIES.map((kind) => [kind, [] as number[]]));
  for (const tick of ticks) {
    const sums: Record<string, number> = Object.fromEntries(BACKLOG_SERIES.map((kind) => [kind, 0]));
    for (const [name, sample] of Object.entries(tick.readings.queues)) {
      const kind = queueKind(name);
      if (kind in sums) sums[kind] = (sums[kind] ?? 0) + backlogOf(sample);
    }
    for (const delayed of Object.values(tick.readings.delayed)) sums['delayed'] = (sums['delayed'] ?? 0) + delayed.size;
    for (const kind of BACKLOG_SERIES) backlog[kind]?.push(sums[kind] ?? 0);
  }
  return {
    atMs: ticks.map((tick) => tick.atMs),
    backlog,
    instances: ticks.map((tick) => totalInstances(tick.observation)),
    parcs: ticks.map((tick) => tick.observation.parcs.length),
  };
}

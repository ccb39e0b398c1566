/**
 * The controllers the simulator compares: Parc's own scheduler (the real `decide` of
 * @parc/scaling, driven the way the control loop drives it), two static installations, and
 * per-stage autoscalers modelled on a Kubernetes HPA on CPU and on a KEDA lag scaler.
 */
import {
  decide,
  GLOBAL_STAGES,
  changeTimesAfter,
  PARC_STAGES,
  type GlobalStage,
  type Observation,
  type ParcStage,
  type Plan,
  type ScalingPolicy,
  type StageName,
} from '@parc/scaling';
import type { Desired, Pipeline, SimulationConfig, StageSnapshot } from './model';
import { sizedFor } from './sizing';
import { meanRate, peakRate, type Trace } from './trace';

/** What a controller may read of the pipeline: what a real one could measure. */
export type PipelineView = Pick<Pipeline, 'globalStage' | 'parcSnapshots' | 'capacity'>;

export interface Controller {
  readonly name: string;
  /** The installation the run starts with: already running when the trace begins. */
  initial(): Desired;
  /** What it wants now, or `undefined` when it does not decide at this time. */
  decide(pipeline: PipelineView, nowMs: number): Desired | undefined;
}

/** Every stage at its minimum, one Parc: what an installation starts with before any scaling. */
function minimums(policy: ScalingPolicy): Desired {
  const global = Object.fromEntries(GLOBAL_STAGES.map((stage) => [stage, policy.stages[stage].min])) as Record<GlobalStage, number>;
  const instances = Object.fromEntries(PARC_STAGES.map((stage) => [stage, policy.stages[stage].min])) as Record<ParcStage, number>;
  return { global, parcs: [{ id: 'p1', state: 'active', instances, callerParallelism: policy.caller.minParallelism }] };
}

// ---------------------------------------------------------------------------------------------
// parc: the scheduler's decide(), every second, with the control loop's bookkeeping.

/** Cumulative `added` counters of every queue the scheduler reads, at one tick. */
interface Readings {
  readonly atMs: number;
  readonly added: ReadonlyMap<string, number>;
}

function read(pipeline: PipelineView, atMs: number): Readings {
  const added = new Map<string, number>([
    ['inbox', pipeline.globalStage('proxy-store').added],
    ['responses', pipeline.globalStage('responder').added],
  ]);
  for (const parc of pipeline.parcSnapshots()) {
    added.set(`${parc.id}/requests`, parc.stages['parc-incoming'].added);
    added.set(`${parc.id}/ready`, parc.stages['parc-caller'].added);
    added.set(`${parc.id}/done`, parc.stages['parc-outgoing'].added);
  }
  return { atMs, added };
}

/**
 * The observation the control loop builds (libs/scheduler observe.ts): arrival rates from the
 * queues' added counters now and at the oldest tick within the rate window or at the last tick,
 * whichever is larger (0 on the first tick, or for a queue that tick did not see), backlogs as waiting messages, the proxy's
 * rate as what reached the inbox, and the call latency by Little's law (the target's median while idle).
 */
function observe(pipeline: PipelineView, readings: Readings, bases: { window: Readings | undefined; latest: Readings | undefined }, lastChangeMs: Readonly<Record<string, number>>, policy: ScalingPolicy, callLatencyMs: number): Observation {
  const rateSince = (base: Readings | undefined, key: string): number => {
    const before = base?.added.get(key);
    const seconds = base ? (readings.atMs - base.atMs) / 1000 : 0;
    if (before === undefined || seconds <= 0) return 0;
    return Math.max(0, ((readings.added.get(key) ?? 0) - before) / seconds);
  };
  const rate = (key: string): number => Math.max(rateSince(bases.window, key), rateSince(bases.latest, key));
  const global = (stage: GlobalStage): StageSnapshot => pipeline.globalStage(stage);
  return {
    nowMs: readings.atMs,
    proxy: { arrivalRate: rate('inbox'), backlog: 0 },
    proxyStore: { arrivalRate: rate('inbox'), backlog: global('proxy-store').waiting },
    responder: { arrivalRate: rate('responses'), backlog: global('responder').waiting },
    globalInstances: { proxy: global('proxy').instances, 'proxy-store': global('proxy-store').instances, responder: global('responder').instances },
    capacity: pipeline.capacity,
    lastChangeMs,
    parcs: pipeline.parcSnapshots().map((parc) => ({
      id: parc.id,
      state: parc.state,
      createdAtMs: parc.createdAtMs,
      instances: { 'parc-incoming': parc.stages['parc-incoming'].instances, 'parc-caller': parc.stages['parc-caller'].instances, 'parc-outgoing': parc.stages['parc-outgoing'].instances },
      callerParallelism: parc.callerParallelism,
      incoming: { arrivalRate: rate(`${parc.id}/requests`), backlog: parc.stages['parc-incoming'].waiting },
      // As libs/scheduler observes it: Little's law, calls in flight over what reaches done per second.
      caller: {
        arrivalRate: rate(`${parc.id}/ready`),
        backlog: parc.stages['parc-caller'].waiting,
        inFlight: parc.inFlight,
        callLatencyMs: parc.inFlight > 0 && rate(`${parc.id}/done`) > 0 ? (1000 * parc.inFlight) / rate(`${parc.id}/done`) : callLatencyMs,
      },
      outgoing: { arrivalRate: rate(`${parc.id}/done`), backlog: parc.stages['parc-outgoing'].waiting },
      delayed: { size: parc.delayedSize, dueSoon: parc.delayedDueWithin(policy.drainTargetS * 1000) },
    })),
  };
}

function toDesired(plan: Plan): Desired {
  const count = (key: string): number => plan.stages.find((stage) => stage.key === key)?.desired ?? 0;
  return {
    global: { proxy: count('proxy'), 'proxy-store': count('proxy-store'), responder: count('responder') },
    parcs: plan.parcs
      .filter((parc) => parc.state !== 'removed')
      .map((parc) => ({
        id: parc.id,
        state: parc.state === 'draining' ? 'draining' : 'active',
        callerParallelism: parc.callerParallelism,
        instances: { 'parc-incoming': count(`${parc.id}/parc-incoming`), 'parc-caller': count(`${parc.id}/parc-caller`), 'parc-outgoing': count(`${parc.id}/parc-outgoing`) },
      })),
  };
}

export interface LoopOptions {
  readonly tickMs: number;
  /** Rates are measured from the oldest tick within this window, as the control loop does. */
  readonly rateWindowMs: number;
}

/** The control loop's defaults (libs/scheduler control-loop.ts). */
export const DEFAULT_LOOP: LoopOptions = { tickMs: 1_000, rateWindowMs: 5_000 };

/**
 * Parc's scheduler: every tick it observes, calls `decide(observation, policy)` and applies the
 * whole plan (instances, caller parallelism, the Parc set), keeping the readings of the rate
 * window and `lastChangeMs` across ticks the way the control loop keeps them in its decision log.
 */
export function parcController(config: SimulationConfig, policy: ScalingPolicy = config.policy, loop: LoopOptions = DEFAULT_LOOP): Controller {
  /** Readings of past ticks within the rate window, oldest first. */
  let history: Readings[] = [];
  let lastChangeMs: Record<string, number> = {};
  let nextTickMs = 0;
  return {
    name: 'parc',
    initial: () => minimums(policy),
    decide: (pipeline, nowMs) => {
      if (nowMs < nextTickMs) return undefined;
      nextTickMs = nowMs + loop.tickMs;
      const readings = read(pipeline, nowMs);
      const base = history.find((entry) => entry.atMs >= nowMs - loop.rateWindowMs) ?? history[history.length - 1];
      const observation = observe(pipeline, readings, { window: base, latest: history[history.length - 1] }, lastChangeMs, policy, config.target.medianLatencyMs);
      const plan = decide(observation, policy);
      history = [...history.filter((entry) => entry.atMs >= nowMs - loop.rateWindowMs), readings];
      lastChangeMs = changeTimesAfter(plan, observation, lastChangeMs, nowMs);
      return toDesired(plan);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// static-peak and static-mean: sized once, never changed.

/** Fixed instances for `requestRate`, at the policy's target utilisation and the callers' default parallelism. */
export function staticController(name: string, requestRate: number, config: SimulationConfig): Controller {
  const desired = sizedFor(requestRate, config, config.policy.targetUtilisation, config.policy.caller.minParallelism);
  return { name, initial: () => desired, decide: () => undefined };
}

export const staticPeak = (trace: Trace, config: SimulationConfig): Controller => staticController('static-peak', peakRate(trace), config);
export const staticMean = (trace: Trace, config: SimulationConfig): Controller => staticController('static-mean', meanRate(trace), config);

// ---------------------------------------------------------------------------------------------
// hpa-like and keda-like: one autoscaler per stage of a single Parc, as Kubernetes would run them.

const STAGES: readonly StageName[] = [...GLOBAL_STAGES, ...PARC_STAGES];
/** The baselines scale the stages of one Parc: neither HPA nor KEDA creates Parcs. */
const BASELINE_PARC = 'p1';

function stageOf(pipeline: PipelineView, stage: StageName): StageSnapshot | undefined {
  if ((GLOBAL_STAGES as readonly string[]).includes(stage)) return pipeline.globalStage(stage as GlobalStage);
  return pipeline.parcSnapshots().find((parc) => parc.id === BASELINE_PARC)?.stages[stage as ParcStage];
}

/**
 * The HPA's scale-down stabilisation: scale up to a higher recommendation at once; scale down
 * only to the highest recommendation of the last `windowMs`.
 */
class Stabiliser {
  private history: { atMs: number; replicas: number }[] = [];

  constructor(private readonly windowMs: number) {}

  next(current: number, recommendation: number, nowMs: number): number {
    this.history = this.history.filter((entry) => entry.atMs > nowMs - this.windowMs);
    this.history.push({ atMs: nowMs, replicas: recommendation });
    if (recommendation > current) return recommendation;
    return Math.min(current, Math.max(...this.history.map((entry) => entry.replicas)));
  }
}

interface PerStageScaler {
  readonly name: string;
  readonly periodMs: number;
  /** Raw replicas for one stage from what changed since the last sync (`since`), before stabilisation. */
  recommend(stage: StageName, now: StageSnapshot, since: StageSnapshot, current: number, seconds: number): number;
  /** Most replicas the scaler gives the stage. */
  max(stage: StageName): number;
}

/** Runs one per-stage scaler over every stage of one Parc, each with its own stabilisation window. */
function perStageController(scaler: PerStageScaler, config: SimulationConfig, stabilisationMs: number): Controller {
  const { policy } = config;
  const replicas = Object.fromEntries(STAGES.map((stage) => [stage, policy.stages[stage].min])) as Record<StageName, number>;
  const stabilisers = new Map(STAGES.map((stage) => [stage, new Stabiliser(stabilisationMs)]));
  /** Each stage's counters at the previous sync (or when first seen), for the rates since. */
  const lastSync = new Map<StageName, StageSnapshot>();
  let lastSyncMs = 0;
  let nextSyncMs = scaler.periodMs;
  const desired = (): Desired => ({
    global: { proxy: replicas.proxy, 'proxy-store': replicas['proxy-store'], responder: replicas.responder },
    parcs: [
      {
        id: BASELINE_PARC,
        state: 'active',
        callerParallelism: policy.caller.minParallelism,
        instances: { 'parc-incoming': replicas['parc-incoming'], 'parc-caller': replicas['parc-caller'], 'parc-outgoing': replicas['parc-outgoing'] },
      },
    ],
  });
  return {
    name: scaler.name,
    initial: desired,
    decide: (pipeline, nowMs) => {
      if (lastSync.size === 0) {
        for (const stage of STAGES) {
          const snapshot = stageOf(pipeline, stage);
          if (snapshot) lastSync.set(stage, snapshot);
        }
        lastSyncMs = nowMs;
      }
      if (nowMs < nextSyncMs) return undefined;
      const seconds = (nowMs - lastSyncMs) / 1000;
      for (const stage of STAGES) {
        const now = stageOf(pipeline, stage);
        const since = lastSync.get(stage);
        if (!now || !since) continue;
        const raw = scaler.recommend(stage, now, since, replicas[stage], seconds);
        const recommendation = Math.min(scaler.max(stage), Math.max(policy.stages[stage].min, raw));
        replicas[stage] = stabilisers.get(stage)?.next(replicas[stage], recommendation, nowMs) ?? recommendation;
        lastSync.set(stage, now);
      }
      lastSyncMs = nowMs;
      nextSyncMs = nowMs + scaler.periodMs;
      return desired();
    },
  };
}

export interface HpaOptions {
  readonly syncMs: number;
  /** Target CPU utilisation of the instances' requests. */
  readonly targetUtilisation: number;
  /** No change while utilisation / target is within 1 ± this (the HPA's default 0.1). */
  readonly tolerance: number;
  readonly stabilisationMs: number;
}

export const DEFAULT_HPA: HpaOptions = { syncMs: 15_000, targetUtilisation: 0.7, tolerance: 0.1, stabilisationMs: 300_000 };

/**
 * A Kubernetes HPA on CPU per stage: desired = ceil(replicas × utilisation / target), where the
 * utilisation is the ready instances' average over the sync period (an instance's CPU is the
 * share of its rate it used; starting ones count as 0 %, as the HPA counts pods without metrics
 * when scaling up).
 */
export function hpaLike(config: SimulationConfig, options: HpaOptions = DEFAULT_HPA): Controller {
  const { policy } = config;
  return perStageController(
    {
      name: 'hpa-like',
      periodMs: options.syncMs,
      max: (stage) => policy.stages[stage].max,
      recommend: (stage, now, since, current, seconds) => {
        const offered = now.offered - since.offered;
        if (offered <= 0) return current;
        const ratio = (now.served - since.served) / offered / options.targetUtilisation;
        if (Math.abs(ratio - 1) <= options.tolerance) return current;
        const readyAverage = offered / ((policy.stages[stage].ratePerInstance * seconds) || 1);
        return Math.ceil(readyAverage * ratio - 1e-9);
      },
    },
    config,
    options.stabilisationMs,
  );
}

export interface KedaOptions {
  readonly pollingMs: number;
  /** Waiting messages per replica (the Kafka scaler's `lagThreshold`, the Redis streams scaler's `pendingEntriesCount`). */
  readonly lagThreshold: number;
  /** The proxy has no queue: a Prometheus trigger on its request rate, per replica, as a share of its rate. */
  readonly proxyRateShare: number;
  /** Before scaling down (the HPA's stabilisation under KEDA; also its cooldown to the minimum). */
  readonly cooldownMs: number;
}

export const DEFAULT_KEDA: KedaOptions = { pollingMs: 30_000, lagThreshold: 1_000, proxyRateShare: 0.7, cooldownMs: 300_000 };

/**
 * A KEDA scaler per stage: desired = ceil(lag / lagThreshold) for the stages that consume a topic
 * or stream, ceil(rate / (share × rate per instance)) for the proxy; polled every 30 s; incoming
 * at most one consumer per partition, as KEDA's Kafka scaler caps it.
 */
export function kedaLike(config: SimulationConfig, options: KedaOptions = DEFAULT_KEDA): Controller {
  const { policy } = config;
  return perStageController(
    {
      name: 'keda-like',
      periodMs: options.pollingMs,
      max: (stage) => (stage === 'parc-incoming' ? Math.min(policy.stages[stage].max, policy.parcs.partitions) : policy.stages[stage].max),
      recommend: (stage, now, since, _current, seconds) => {
        if (stage === 'proxy') {
          const rate = seconds > 0 ? (now.served - since.served) / seconds : 0;
          return Math.ceil(rate / (options.proxyRateShare * policy.stages.proxy.ratePerInstance) - 1e-9);
        }
        return Math.ceil(now.waiting / options.lagThreshold - 1e-9);
      },
    },
    config,
    options.cooldownMs,
  );
}

/** The five controllers, in the order every table and chart lists them. */
export function allControllers(trace: Trace, config: SimulationConfig): Controller[] {
  return [parcController(config), staticPeak(trace, config), staticMean(trace, config), hpaLike(config), kedaLike(config)];
}

import {
  GLOBAL_STAGES,
  PARC_STAGES,
  stageKey,
  type Observation,
  type ParcObservation,
  type ParcPlan,
  type ParcStage,
  type Plan,
  type Resources,
  type ScalingPolicy,
  type StageLoad,
  type StageName,
  type StagePlan,
} from './model';

/** One stage's demand before capacity is shared out. */
interface Demand {
  readonly key: string;
  readonly stage: StageName;
  readonly parcId?: string;
  readonly current: number;
  /** Instances the load asks for, within [min, max], after hysteresis. */
  readonly desired: number;
  readonly min: number;
  /** Messages per second to serve: arrivals plus the backlog spread over the drain target. */
  readonly demandRate: number;
  readonly perInstanceRate: number;
  /** What one instance reserves by the policy. */
  readonly requested: Resources;
  /** What one instance is judged to take: its request, or the CPU it was measured to use if more. */
  readonly resources: Resources;
  /** Said when `resources` is the measured CPU, above the request. */
  readonly judgedOn?: string;
  readonly reason: string;
}

const fmt = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));

/**
 * The plan for this tick: instances per stage (global and per Parc), caller parallelism per Parc,
 * and the set of Parcs — each with its reason in words. Pure: the same observation and policy
 * always give the same plan. The plan never reserves more than `observation.capacity`; when it is
 * short, instances go first to each stage's minimum, then one at a time to the stage furthest
 * behind (largest demand per planned instance), so idle stages give way to the bottleneck.
 */
export function decide(observed: Observation, policy: ScalingPolicy): Plan {
  const observation = withFeedForward(observed);
  const parcs = planParcs(observation, policy);
  const demands = [
    ...GLOBAL_STAGES.map((stage) => globalDemand(observation, policy, stage)),
    ...parcs.flatMap(({ plan, observed }) => PARC_STAGES.map((stage) => parcDemand(observation, policy, plan, observed, stage))),
  ];
  let allocation = allocate(demands, observation.capacity);
  let parcPlans = parcs.map(({ plan }) => plan);
  const created = parcPlans.find((plan) => plan.action === 'create');
  if (created && demands.some((d) => d.parcId === created.id && (allocation.counts.get(d.key) ?? 0) < d.min)) {
    // A Parc that cannot have its minimum of every stage would take no work: do not create it.
    const without = demands.filter((d) => d.parcId !== created.id);
    allocation = allocate(without, observation.capacity);
    parcPlans = parcPlans.filter((plan) => plan !== created);
    const existing = parcs.find(({ plan }) => plan.action !== 'create' && plan.reason.startsWith('saturated'));
    if (existing) parcPlans = parcPlans.map((plan) => (plan.id === existing.plan.id ? { ...plan, reason: `${plan.reason}; no capacity left for a new Parc` } : plan));
    return finish(without, allocation, parcPlans, observation, policy);
  }
  return finish(demands, allocation, parcPlans, observation, policy);
}

function finish(demands: readonly Demand[], allocation: Allocation, parcs: readonly ParcPlan[], observation: Observation, policy: ScalingPolicy): Plan {
  const planned = allocation.planned;
  const stages: StagePlan[] = demands.map((demand) => {
    const desired = allocation.counts.get(demand.key) ?? 0;
    const short = desired < demand.desired ? `; capacity short: wanted ${demand.desired}, got ${desired}${demand.judgedOn ? ` (${demand.judgedOn})` : ''}` : '';
    return {
      key: demand.key,
      stage: demand.stage,
      ...(demand.parcId === undefined ? {} : { parcId: demand.parcId }),
      current: demand.current,
      desired,
      reason: demand.reason + short,
    };
  });
  return { stages, parcs, budget: { capacity: observation.capacity, planned }, parcsNeeded: allParcsNeeded(policy, observation), parcSaturated: anyParcSaturated(policy, observation), arrivalsNeedParcs: arrivalsNeedAllParcs(policy, observation) };
}

/**
 * Each stage expects at least what the stage before it receives (an active Parc its share of what
 * proxy-store moves), so a step in the ingress scales the whole pipeline in the same tick instead
 * of one stage after another as each backlog appears in turn. Retries and redeliveries still come
 * in through each stage's own measured rate.
 */
function withFeedForward(observation: Observation): Observation {
  const ingress = observation.proxy.arrivalRate;
  const proxyStoreRate = Math.max(observation.proxyStore.arrivalRate, ingress);
  const active = observation.parcs.filter((parc) => parc.state === 'active').length;
  const share = active === 0 ? 0 : proxyStoreRate / active;
  const at = (load: StageLoad, upstream: number): StageLoad => ({ ...load, arrivalRate: Math.max(load.arrivalRate, upstream) });
  return {
    ...observation,
    proxyStore: at(observation.proxyStore, ingress),
    responder: at(observation.responder, ingress),
    parcs: observation.parcs.map((parc) => {
      const incoming = at(parc.incoming, parc.state === 'active' ? share : 0);
      const caller = { ...parc.caller, arrivalRate: Math.max(parc.caller.arrivalRate, incoming.arrivalRate) };
      return { ...parc, incoming, caller, outgoing: at(parc.outgoing, caller.arrivalRate) };
    }),
  };
}

/** How long a Parc's caller parallelism stays as it is after a change: the callers are rolled onto it meanwhile. */
const PARALLELISM_SETTLE_MS = 10_000;

/** A stage whose demand is at most this share of what its instances are sized for is idle. */
const IDLE_SHARE = 0.25;

/** The proxy counts as saturated from this share of its instances' modelled rate upwards. */
const PROXY_SATURATED = 0.9;

/** Instances needed for `demandRate` at the policy's target utilisation (unclamped). */
function needed(demandRate: number, perInstanceRate: number, policy: ScalingPolicy): number {
  if (demandRate <= 0) return 0;
  return Math.ceil(demandRate / (perInstanceRate * policy.targetUtilisation) - 1e-9);
}

function demandRateOf(load: StageLoad, policy: ScalingPolicy): number {
  return load.arrivalRate + load.backlog / policy.drainTargetS;
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

/** Demand as a share of what `current` instances serve at the target utilisation (∞ with none). */
function sizedRatio(demandRate: number, current: number, perInstanceRate: number, policy: ScalingPolicy): number {
  if (current <= 0) return demandRate > 0 ? Number.POSITIVE_INFINITY : 1;
  return demandRate / (current * perInstanceRate * policy.targetUtilisation);
}

/**
 * Scale-up at once; scale-down only after the cooldown since the stage's last change, so that a
 * dip between two bursts does not remove instances the next burst needs; and no change at all
 * while the load is within the tolerance of what the current instances are sized for (`ratio`:
 * demand ÷ what they serve at the target utilisation), so that noise in a steady load does not
 * move a stage back and forth across an instance boundary (no flapping).
 */
function withHysteresis(
  observation: Observation,
  policy: ScalingPolicy,
  key: string,
  current: number,
  raw: number,
  ratio: number,
  min: number,
  max: number,
  why: string,
): { desired: number; reason: string } {
  const wanted = clamp(raw, min, max);
  const capped = raw > max ? ` (capped at max ${max})` : '';
  if (wanted !== current && current >= min && current <= max && Math.abs(ratio - 1) <= policy.tolerance) {
    return { desired: current, reason: `steady at ${current} (load at ${fmt(ratio * 100)} % of what it is sized for, within the ${fmt(policy.tolerance * 100)} % tolerance): ${why}` };
  }
  if (wanted > current) return { desired: wanted, reason: `up ${current} → ${wanted}: ${why}${capped}` };
  if (wanted === current) return { desired: current, reason: `steady at ${current}: ${why}${capped}` };
  const sinceChange = observation.nowMs - (observation.lastChangeMs[key] ?? Number.NEGATIVE_INFINITY);
  // A stage left nearly idle (after a burst) gives its instances back sooner: the long cooldown
  // is for loads that dip and return, not for one that is clearly gone.
  const idle = ratio <= IDLE_SHARE;
  const waitMs = (idle ? Math.min(policy.idleScaleDownCooldownMs, policy.scaleDownCooldownMs) : policy.scaleDownCooldownMs) - sinceChange;
  if (waitMs > 0) {
    const held = clamp(current, min, max);
    return { desired: held, reason: `holding ${held} (load asks for ${wanted}; ${idle ? 'idle ' : ''}scale-down cooldown, ${fmt(waitMs / 1000)} s left): ${why}` };
  }
  return { desired: wanted, reason: `down ${current} → ${wanted}: ${why}` };
}

function describeLoad(load: StageLoad, perInstanceRate: number): string {
  return `${fmt(load.arrivalRate)}/s arriving, ${load.backlog} waiting, one instance handles ${fmt(perInstanceRate)}/s`;
}

const percent = (share: number): string => fmt(Math.round(share * 1000) / 10);

/**
 * What one instance of `key` is judged to take from the capacity: its request, or the CPU its
 * instances were measured to use when that is more — a stage that uses more than it requests
 * would otherwise be planned onto CPU that is not there.
 */
function judged(observation: Observation, key: string, requested: Resources): { requested: Resources; resources: Resources; judgedOn?: string } {
  const measured = observation.cpu?.perInstanceMillis[key];
  if (measured === undefined || measured <= requested.cpuMillis) return { requested, resources: requested };
  const cpuMillis = Math.ceil(measured);
  return { requested, resources: { ...requested, cpuMillis }, judgedOn: `CPU judged at ${cpuMillis} m per instance as measured, above the ${requested.cpuMillis} m requested` };
}

/**
 * Why the machine should take no more instances of `key` now, or undefined: it is busy to the
 * policy's saturated share already, or `added` more at what one of them uses would take it there.
 * Undefined without a machine reading (decisions then plan on requests alone).
 */
function cpuHold(observation: Observation, policy: ScalingPolicy, key: string, added: number): string | undefined {
  const cpu = observation.cpu;
  if (cpu?.machineBusyShare === undefined || added <= 0) return undefined;
  const busy = cpu.machineBusyShare;
  const limit = `saturated from ${percent(policy.cpuSaturatedShare)} %`;
  if (busy >= policy.cpuSaturatedShare) return `machine ${percent(busy)} % busy, ${limit}`;
  const each = cpu.perInstanceMillis[key];
  if (each === undefined || !cpu.machineMillis) return undefined;
  const after = busy + (added * each) / cpu.machineMillis;
  return after >= policy.cpuSaturatedShare ? `machine ${percent(busy)} % busy: ${added} more at ${fmt(Math.round(each))} m each would take it to ${percent(after)} %, ${limit}` : undefined;
}

function globalDemand(observation: Observation, policy: ScalingPolicy, stage: (typeof GLOBAL_STAGES)[number]): Demand {
  const load = stage === 'proxy' ? observation.proxy : stage === 'proxy-store' ? observation.proxyStore : observation.responder;
  const stagePolicy = policy.stages[stage];
  const key = stageKey(stage);
  const demandRate = demandRateOf(load, policy);
  const current = observation.globalInstances[stage];
  let raw = needed(demandRate, stagePolicy.ratePerInstance, policy);
  let why = describeLoad(load, stagePolicy.ratePerInstance);
  if (stage === 'proxy' && current > 0 && load.arrivalRate >= PROXY_SATURATED * current * stagePolicy.ratePerInstance) {
    // The proxy has no queue to read: what it accepts is all that is seen. Near its limit, the
    // demand beyond it is unknown (clients wait or are refused), so it is probed by doubling.
    raw = Math.max(raw, current * 2);
    why = `saturated: ${fmt(load.arrivalRate)}/s through ${current} (one handles ${fmt(stagePolicy.ratePerInstance)}/s), demand beyond it unseen: doubling`;
  }
  const ratio = sizedRatio(demandRate, current, stagePolicy.ratePerInstance, policy);
  const { desired, reason } = withHysteresis(observation, policy, key, current, raw, ratio, stagePolicy.min, stagePolicy.max, why);
  return { key, stage, current, desired, min: stagePolicy.min, demandRate, perInstanceRate: stagePolicy.ratePerInstance, ...judged(observation, key, stagePolicy.resources), reason };
}

/** A caller process's rate: bounded by its CPU and by parallelism ÷ call latency. */
function callerRate(policy: ScalingPolicy, parallelism: number, callLatencyMs: number): number {
  return Math.min(policy.stages['parc-caller'].ratePerInstance, (parallelism * 1000) / Math.max(1, callLatencyMs));
}

/** Most instances a stage of a Parc can use: incoming is bound by the topic's partitions. */
function usableMax(policy: ScalingPolicy, stage: ParcStage): number {
  const max = policy.stages[stage].max;
  return stage === 'parc-incoming' ? Math.min(max, policy.parcs.partitions) : max;
}

function loadOf(parc: ParcObservation | undefined, stage: ParcStage): StageLoad {
  if (!parc) return { arrivalRate: 0, backlog: 0 };
  if (stage === 'parc-incoming') return parc.incoming;
  if (stage === 'parc-caller') return { arrivalRate: parc.caller.arrivalRate, backlog: parc.caller.backlog + parc.delayed.dueSoon };
  return parc.outgoing;
}

function parcDemand(observation: Observation, policy: ScalingPolicy, plan: ParcPlan, parc: ParcObservation | undefined, stage: ParcStage): Demand {
  const stagePolicy = policy.stages[stage];
  const key = stageKey(stage, plan.id);
  const current = parc?.instances[stage] ?? 0;
  const load = loadOf(parc, stage);
  const perInstanceRate = stage === 'parc-caller' ? callerRate(policy, plan.callerParallelism, parc?.caller.callLatencyMs ?? 0) : stagePolicy.ratePerInstance;
  const demandRate = demandRateOf(load, policy);
  const base = { key, stage, parcId: plan.id, current, demandRate, perInstanceRate, ...judged(observation, key, stagePolicy.resources) } as const;
  if (plan.action === 'remove') return { ...base, desired: 0, min: 0, reason: `Parc ${plan.id} drained: removing` };
  if (plan.action === 'create') return { ...base, desired: stagePolicy.min, min: stagePolicy.min, reason: `new Parc ${plan.id}: starting at the minimum ${stagePolicy.min}` };
  const raw = needed(demandRate, perInstanceRate, policy);
  const ratio = sizedRatio(demandRate, current, perInstanceRate, policy);
  const result = withHysteresis(observation, policy, key, current, raw, ratio, stagePolicy.min, usableMax(policy, stage), describeLoad(load, perInstanceRate));
  const held = stage === 'parc-caller' && parc ? callersHeldByCpu(observation, policy, plan, parc, current, result.desired) : undefined;
  if (held) return { ...base, desired: current, min: stagePolicy.min, reason: `holding ${current}: CPU held back a scale-up to ${result.desired} (${held}): ${describeLoad(load, perInstanceRate)}` };
  return { ...base, desired: result.desired, min: stagePolicy.min, reason: result.reason };
}

/**
 * Why a Parc's callers get no new process now, or undefined. On a CPU-saturated machine another
 * caller process adds CPU cost, not throughput, while calls are slow (waiting on the network,
 * not on CPU) and the parallelism of the callers already there can still go up: it is raised
 * instead (`planParallelism`, the same test). Fast calls, parallelism at its maximum, a stage
 * below its minimum or no CPU reading: processes as before.
 */
function callersHeldByCpu(observation: Observation, policy: ScalingPolicy, plan: ParcPlan, parc: ParcObservation, current: number, wanted: number): string | undefined {
  if (wanted <= current || current < policy.stages['parc-caller'].min || parc.caller.callLatencyMs <= policy.caller.fastCallMs) return undefined;
  const observed = clamp(parc.callerParallelism, policy.caller.minParallelism, policy.caller.maxParallelism);
  const raised = plan.callerParallelism > observed;
  if (!raised && plan.callerParallelism >= policy.caller.maxParallelism) return undefined;
  const hold = cpuHold(observation, policy, stageKey('parc-caller', plan.id), wanted - current);
  if (!hold) return undefined;
  const instead = raised
    ? `parallelism raised ${observed} → ${plan.callerParallelism} instead`
    : `calls slow (${fmt(parc.caller.callLatencyMs)} ms): parallelism ${plan.callerParallelism} is raised while the callers are full, not processes added`;
  return `${hold}; ${instead}`;
}

/**
 * Caller parallelism of one Parc: doubled while its callers are full (in flight near the limit,
 * work waiting) and calls are fast — cheaper than another process; halved when far below it.
 * Slow calls keep parallelism and get instances instead (the demand uses the planned parallelism),
 * unless the machine's CPU holds more callers back (`cpuHold`): then parallelism is doubled too,
 * as calls waiting on the network cost little CPU each.
 */
function planParallelism(observation: Observation, policy: ScalingPolicy, parc: ParcObservation): { parallelism: number; why: string } {
  const { minParallelism, maxParallelism, fastCallMs } = policy.caller;
  const current = clamp(parc.callerParallelism, minParallelism, maxParallelism);
  const limit = current * Math.max(1, parc.instances['parc-caller']);
  const key = `${parc.id}/parallelism`;
  const sinceChangeMs = observation.nowMs - (observation.lastChangeMs[key] ?? Number.NEGATIVE_INFINITY);
  // A raise rolls every caller, which takes seconds; until it has, the callers still run the old
  // parallelism and read as full, and raising again doubled it twice within two seconds of a step
  // (512 → 2,048), while the calls queued at a target sharing the machine read as ever slower.
  if (sinceChangeMs < PARALLELISM_SETTLE_MS && current > minParallelism) return { parallelism: current, why: `parallelism ${current} (changed ${fmt(sinceChangeMs / 1000)} s ago: settling)` };
  const full = parc.caller.inFlight >= 0.9 * limit && parc.caller.backlog > 0;
  const fast = parc.caller.callLatencyMs <= fastCallMs;
  if (full && fast && current < maxParallelism) {
    const next = Math.min(maxParallelism, current * 2);
    return { parallelism: next, why: `parallelism ${current} → ${next}: callers full (${parc.caller.inFlight} of ${limit} in flight) and calls fast (${fmt(parc.caller.callLatencyMs)} ms)` };
  }
  const held = full && !fast && current < maxParallelism ? cpuHoldsCallers(observation, policy, parc, current) : undefined;
  if (held) {
    const next = Math.min(maxParallelism, current * 2);
    return { parallelism: next, why: `parallelism ${current} → ${next} instead of more callers: callers full (${parc.caller.inFlight} of ${limit} in flight), calls slow (${fmt(parc.caller.callLatencyMs)} ms, waiting on the network) and ${held}` };
  }
  const settled = sinceChangeMs >= policy.scaleDownCooldownMs;
  if (parc.caller.inFlight < 0.25 * limit && current > minParallelism && settled) {
    const next = Math.max(minParallelism, Math.floor(current / 2));
    return { parallelism: next, why: `parallelism ${current} → ${next}: ${parc.caller.inFlight} of ${limit} in flight` };
  }
  return { parallelism: current, why: `parallelism ${current}` };
}

/** Why the CPU holds back the callers a Parc's load asks for at `parallelism`, or undefined (see `cpuHold`). */
function cpuHoldsCallers(observation: Observation, policy: ScalingPolicy, parc: ParcObservation, parallelism: number): string | undefined {
  const wanted = Math.min(usableMax(policy, 'parc-caller'), needed(demandRateOf(loadOf(parc, 'parc-caller'), policy), callerRate(policy, parallelism, parc.caller.callLatencyMs), policy));
  return cpuHold(observation, policy, stageKey('parc-caller', parc.id), wanted - parc.instances['parc-caller']);
}

/** Whether a Parc cannot go faster: its callers or its incoming would need more than they may have. */
function saturation(policy: ScalingPolicy, parc: ParcObservation, parallelism: number): string | undefined {
  const incomingRaw = needed(demandRateOf(parc.incoming, policy), policy.stages['parc-incoming'].ratePerInstance, policy);
  if (incomingRaw > usableMax(policy, 'parc-incoming') && parc.incoming.backlog > 0) {
    return `saturated: incoming needs ${incomingRaw} instances, its ${policy.parcs.partitions} partitions allow ${usableMax(policy, 'parc-incoming')}`;
  }
  const callerLoad = loadOf(parc, 'parc-caller');
  const callerRaw = needed(demandRateOf(callerLoad, policy), callerRate(policy, parallelism, parc.caller.callLatencyMs), policy);
  const callersAtLimit = parallelism >= policy.caller.maxParallelism || parc.caller.callLatencyMs > policy.caller.fastCallMs;
  if (callerRaw > policy.stages['parc-caller'].max && callersAtLimit && callerLoad.backlog > 0) {
    return `saturated: callers need ${callerRaw} instances at parallelism ${parallelism}, max ${policy.stages['parc-caller'].max}`;
  }
  return undefined;
}

function drained(parc: ParcObservation): boolean {
  return parc.incoming.backlog === 0 && parc.caller.backlog === 0 && parc.caller.inFlight === 0 && parc.outgoing.backlog === 0 && parc.delayed.size === 0;
}

function nextParcId(parcs: readonly ParcObservation[]): string {
  const numbers = parcs.map((parc) => Number(/^p(\d+)$/.exec(parc.id)?.[1] ?? 0));
  return `p${Math.max(0, ...numbers) + 1}`;
}

/**
 * The key in `lastChangeMs` of the last tick at which every current Parc was needed (one was
 * saturated, or the load would not fit in one fewer): `parcsNeeded` of the plan tells the loop to
 * set it.
 */
export const PARCS_NEEDED_KEY = 'parcs/needed';

/**
 * The key in `lastChangeMs` of the tick since which an active Parc has been saturated without a
 * break (absent while none is): a Parc is added once this is `saturatedForMs` old.
 */
export const SATURATED_SINCE_KEY = 'parcs/saturated-since';

/**
 * The key in `lastChangeMs` of the last tick at which the arrivals needed every active Parc (or a
 * Parc was created): surplus Parcs are drained once this is `idleDrainMs` old.
 */
export const ARRIVALS_NEED_PARCS_KEY = 'parcs/arrivals-need';

/**
 * The most one Parc carries, in requests per second at the target utilisation: its slowest stage
 * at that stage's usable maximum. Callers are counted at the maximum parallelism while calls are
 * fast (planParallelism raises it then); with slow calls at the parallelism they have, though a
 * CPU-saturated machine may still raise it (callersHeldByCpu): on the safe side, a new Parc is
 * judged against what the active ones surely carry.
 */
function parcCapacity(policy: ScalingPolicy, parc: ParcObservation): number {
  const { minParallelism, maxParallelism, fastCallMs } = policy.caller;
  const parallelism = parc.caller.callLatencyMs <= fastCallMs ? maxParallelism : clamp(parc.callerParallelism, minParallelism, maxParallelism);
  const callers = usableMax(policy, 'parc-caller') * callerRate(policy, parallelism, parc.caller.callLatencyMs);
  const incoming = usableMax(policy, 'parc-incoming') * policy.stages['parc-incoming'].ratePerInstance;
  const outgoing = usableMax(policy, 'parc-outgoing') * policy.stages['parc-outgoing'].ratePerInstance;
  return policy.targetUtilisation * Math.min(callers, incoming, outgoing);
}

/** New requests per second routed to the active Parcs (their requests topics; retries stay within a Parc). */
function parcArrivals(active: readonly ParcObservation[]): number {
  return active.reduce((sum, parc) => sum + parc.incoming.arrivalRate, 0);
}

/** How many of the active Parcs, oldest first, carry `arrivals` at half their maximum (at least one). */
function parcsForArrivals(policy: ScalingPolicy, active: readonly ParcObservation[], arrivals: number): number {
  const oldestFirst = [...active].sort((a, b) => a.createdAtMs - b.createdAtMs);
  let carried = 0;
  for (let count = 1; count <= oldestFirst.length; count++) {
    carried += parcCapacity(policy, oldestFirst[count - 1] as ParcObservation) / 2;
    if (carried >= arrivals) return count;
  }
  return Math.max(1, oldestFirst.length);
}

/** Whether the arrivals need every active Parc now (see ARRIVALS_NEED_PARCS_KEY). */
function arrivalsNeedAllParcs(policy: ScalingPolicy, observation: Observation): boolean {
  const active = observation.parcs.filter((parc) => parc.state === 'active');
  return active.length <= 1 || parcsForArrivals(policy, active, parcArrivals(active)) >= active.length;
}

/**
 * Whether a new Parc would be of use. It takes new requests only (a backlog stays in the Parc that
 * holds it), so it pays when the arrivals exceed what the active Parcs carry at their maximum, or
 * when their backlog would outlast twice a Parc's start-up: taking a share of the arrivals, it
 * frees the others to work the backlog off. A Parc that would start after the backlog is gone is
 * cost, not capacity.
 */
function newParcPays(policy: ScalingPolicy, active: readonly ParcObservation[]): { pays: boolean; why: string } {
  const capacity = active.reduce((sum, parc) => sum + parcCapacity(policy, parc), 0);
  const arrivals = parcArrivals(active);
  if (arrivals >= capacity) return { pays: true, why: `arrivals ${fmt(arrivals)}/s beyond what the active Parcs carry (${fmt(capacity)}/s)` };
  const backlog = active.reduce((sum, parc) => sum + parc.incoming.backlog + parc.caller.backlog + parc.delayed.dueSoon, 0);
  const drainS = backlog / (capacity - arrivals);
  const startupS = policy.parcs.startupMs / 1000;
  const why = `arrivals ${fmt(arrivals)}/s within what the active Parcs carry (${fmt(capacity)}/s); their backlog of ${backlog} is worked off in ${fmt(drainS)} s`;
  return drainS > 2 * startupS ? { pays: true, why: `${why}, longer than twice a Parc's start-up (${fmt(startupS)} s)` } : { pays: false, why: `${why}, before a new Parc would be of use (start-up ${fmt(startupS)} s)` };
}

/** Whether an active Parc cannot go faster now (see SATURATED_SINCE_KEY). */
function anyParcSaturated(policy: ScalingPolicy, observation: Observation): boolean {
  return observation.parcs.some((parc) => parc.state === 'active' && saturation(policy, parc, clamp(parc.callerParallelism, policy.caller.minParallelism, policy.caller.maxParallelism)) !== undefined);
}

/** Whether the load needs every active Parc now (see PARCS_NEEDED_KEY). */
function allParcsNeeded(policy: ScalingPolicy, observation: Observation): boolean {
  const active = observation.parcs.filter((parc) => parc.state === 'active');
  return anyParcSaturated(policy, observation) || (active.length >= 2 && !fitsInFewer(policy, active));
}

/**
 * The set of Parcs: a new one when an active Parc is saturated (and the add cooldown has passed);
 * the newest active one drained when the others could carry the load at half their maximum; a
 * draining one removed once everything it held is done (nothing is lost: it keeps its stages
 * until then, and its due retries go back to active Parcs).
 */
function planParcs(observation: Observation, policy: ScalingPolicy): { plan: ParcPlan; observed?: ParcObservation }[] {
  const plans: { plan: ParcPlan; observed?: ParcObservation }[] = [];
  const saturated: string[] = [];
  for (const parc of observation.parcs) {
    const { parallelism, why } = planParallelism(observation, policy, parc);
    if (parc.state === 'draining') {
      const done = drained(parc);
      plans.push({
        plan: { id: parc.id, action: done ? 'remove' : 'keep', state: done ? 'removed' : 'draining', callerParallelism: parallelism, reason: done ? 'drained: nothing left in its topic, ready, done or delayed set' : `draining; ${why}` },
        observed: parc,
      });
      continue;
    }
    const full = saturation(policy, parc, parallelism);
    if (full) saturated.push(parc.id);
    plans.push({ plan: { id: parc.id, action: 'keep', state: 'active', callerParallelism: parallelism, reason: full ? `${full}; ${why}` : why }, observed: parc });
  }
  const active = observation.parcs.filter((parc) => parc.state === 'active');
  const newest = Math.max(Number.NEGATIVE_INFINITY, ...observation.parcs.map((parc) => parc.createdAtMs));
  const sinceNewest = observation.nowMs - newest;
  const saturatedForMs = observation.nowMs - (observation.lastChangeMs[SATURATED_SINCE_KEY] ?? observation.nowMs);
  const benefit = saturated.length > 0 ? newParcPays(policy, active) : undefined;
  if (benefit !== undefined && !benefit.pays) {
    return withIdleDrain(observation, policy, active, plans.map((entry) => (saturated.includes(entry.plan.id) ? { ...entry, plan: { ...entry.plan, reason: `${entry.plan.reason}; no new Parc: ${benefit.why}` } } : entry)));
  }
  if (saturated.length > 0 && observation.parcs.length < policy.parcs.max && sinceNewest >= policy.parcs.addCooldownMs) {
    if (saturatedForMs >= policy.parcs.saturatedForMs) {
      const id = nextParcId(observation.parcs);
      plans.push({ plan: { id, action: 'create', state: 'active', callerParallelism: policy.caller.minParallelism, reason: `created: ${saturated.join(', ')} cannot go faster (for ${fmt(saturatedForMs / 1000)} s); ${benefit?.why ?? ''}` } });
      return plans;
    }
    const left = `a new Parc if this lasts ${fmt((policy.parcs.saturatedForMs - saturatedForMs) / 1000)} s more`;
    return plans.map((entry) => (saturated.includes(entry.plan.id) ? { ...entry, plan: { ...entry.plan, reason: `${entry.plan.reason}; ${left}` } } : entry));
  }
  // Draining waits until the current Parcs have not been needed for the drain cooldown: one quiet
  // tick between bursts must not drain a Parc the next burst re-creates (flapping).
  const quietSinceMs = observation.nowMs - (observation.lastChangeMs[PARCS_NEEDED_KEY] ?? Number.NEGATIVE_INFINITY);
  if (saturated.length === 0) {
    const idle = withIdleDrain(observation, policy, active, plans);
    if (idle !== plans) return idle;
  }
  const drainable = active.length >= 2 && saturated.length === 0 && sinceNewest >= policy.parcs.drainCooldownMs && quietSinceMs >= policy.parcs.drainCooldownMs;
  if (drainable && fitsInFewer(policy, active)) {
    const victim = active.reduce((a, b) => (b.createdAtMs > a.createdAtMs ? b : a));
    return plans.map((entry) =>
      entry.plan.id === victim.id ? { ...entry, plan: { ...entry.plan, action: 'drain', state: 'draining', reason: `draining: the other ${active.length - 1} Parc(s) can carry the load` } } : entry,
    );
  }
  return plans;
}

/**
 * Drains every surplus Parc at once (the newest; the oldest that carry the arrivals at half their
 * maximum stay) once the arrivals have fitted in fewer Parcs for `idleDrainMs`, backlog or not:
 * a draining Parc takes nothing new and finishes what it holds with its own stages, then goes.
 * Returns `plans` itself when nothing is drained.
 */
function withIdleDrain(observation: Observation, policy: ScalingPolicy, active: readonly ParcObservation[], plans: { plan: ParcPlan; observed?: ParcObservation }[]): { plan: ParcPlan; observed?: ParcObservation }[] {
  if (active.length < 2) return plans;
  const arrivals = parcArrivals(active);
  const keep = parcsForArrivals(policy, active, arrivals);
  const quietMs = observation.nowMs - (observation.lastChangeMs[ARRIVALS_NEED_PARCS_KEY] ?? Number.NEGATIVE_INFINITY);
  const sinceNewest = observation.nowMs - Math.max(...active.map((parc) => parc.createdAtMs));
  if (keep >= active.length || quietMs < policy.parcs.idleDrainMs || sinceNewest < policy.parcs.idleDrainMs) return plans;
  const surplus = new Set([...active].sort((a, b) => a.createdAtMs - b.createdAtMs).slice(keep).map((parc) => parc.id));
  const why = `draining: arrivals ${fmt(arrivals)}/s have fitted in ${keep} Parc(s) at half their maximum for ${fmt(Math.min(quietMs, 3_600_000) / 1000)} s`;
  return plans.map((entry) => (surplus.has(entry.plan.id) ? { ...entry, plan: { ...entry.plan, action: 'drain', state: 'draining', reason: why } } : entry));
}

/** Whether the active Parcs' caller and incoming demand fits in one Parc fewer, at half their maximum. */
function fitsInFewer(policy: ScalingPolicy, active: readonly ParcObservation[]): boolean {
  const fewer = active.length - 1;
  const fits = (stage: ParcStage, rate: (parc: ParcObservation) => number, perInstance: (parc: ParcObservation) => number): boolean => {
    // Fractional needs summed before rounding: each lightly loaded Parc would otherwise count as
    // a whole instance, and many quiet Parcs would never look like fewer would do.
    const instances = Math.ceil(active.reduce((sum, parc) => sum + rate(parc) / (perInstance(parc) * policy.targetUtilisation), 0) - 1e-9);
    return instances <= (fewer * usableMax(policy, stage)) / 2;
  };
  return (
    fits('parc-incoming', (parc) => demandRateOf(parc.incoming, policy), () => policy.stages['parc-incoming'].ratePerInstance) &&
    fits('parc-caller', (parc) => demandRateOf(loadOf(parc, 'parc-caller'), policy), (parc) => callerRate(policy, policy.caller.maxParallelism, parc.caller.callLatencyMs))
  );
}

/** Instances per stage key, and what they reserve in all. */
interface Allocation {
  readonly counts: ReadonlyMap<string, number>;
  readonly planned: Resources;
}

/**
 * Shares `capacity` out: each stage's minimum first (global stages, then Parcs oldest first),
 * then one instance at a time to the stage with the most demand per planned instance, until
 * every stage has what it wants or nothing more fits. Never plans beyond `capacity`. Instances
 * that run and are kept are charged their request; new ones what they are judged to take (measured
 * CPU above the request), or a new minimum its request if that does not fit: a measurement limits
 * growth, it neither removes a floor nor stops what runs.
 */
function allocate(demands: readonly Demand[], capacity: Resources): Allocation {
  const allocation = new Map<string, number>(demands.map((d) => [d.key, 0]));
  let free = { ...capacity };
  let planned = { cpuMillis: 0, memoryMiB: 0 };
  const fits = (r: Resources): boolean => r.cpuMillis <= free.cpuMillis && r.memoryMiB <= free.memoryMiB;
  const take = (d: Demand, cost: Resources = d.resources): void => {
    allocation.set(d.key, (allocation.get(d.key) ?? 0) + 1);
    free = { cpuMillis: free.cpuMillis - cost.cpuMillis, memoryMiB: free.memoryMiB - cost.memoryMiB };
    planned = { cpuMillis: planned.cpuMillis + cost.cpuMillis, memoryMiB: planned.memoryMiB + cost.memoryMiB };
  };
  for (const d of demands) {
    for (let i = 0; i < Math.min(d.min, d.desired); i++) {
      const cost = i < d.current || !fits(d.resources) ? d.requested : d.resources;
      if (!fits(cost)) break;
      take(d, cost);
    }
  }
  const growTo = (target: (d: Demand) => number, costOf: (d: Demand) => Resources = (d) => d.resources): void => {
    const open = new Set(demands.filter((d) => (allocation.get(d.key) ?? 0) < target(d)));
    while (open.size > 0) {
      let best: Demand | undefined;
      let bestUrgency = Number.NEGATIVE_INFINITY;
      for (const d of open) {
        const planned = allocation.get(d.key) ?? 0;
        // Demand per planned instance: how far behind this stage would be. A stage holding
        // instances through its cooldown with no demand comes last.
        const urgency = planned === 0 ? Number.POSITIVE_INFINITY : d.demandRate / (planned * d.perInstanceRate);
        if (urgency > bestUrgency) {
          best = d;
          bestUrgency = urgency;
        }
      }
      if (!best) break;
      const cost = costOf(best);
      if (fits(cost)) take(best, cost);
      else open.delete(best);
      if ((allocation.get(best.key) ?? 0) >= target(best)) open.delete(best);
    }
  };
  // Short of capacity, what runs and its load keeps busy keeps its place before anything grows:
  // sharing everything out afresh each tick moved instances from stage to stage as the measured
  // CPU wavered (bench/results/scaling-*: 46 caller processes stopped in 6 minutes), and each move
  // costs a start, a group join and a hand-back. Instances only held through a cooldown, beyond
  // what the load keeps busy even at full utilisation, still give way to the bottleneck.
  // They are charged their request, not their measured CPU: on a busy machine the measurements
  // add up to the whole machine, so charging them would drop a running instance whenever the
  // readings wavered, and stopping it frees no CPU (its load moves to its siblings). What was
  // measured limits growth below.
  growTo((d) => Math.min(d.current, d.desired, Math.max(d.min, Math.ceil(d.demandRate / d.perInstanceRate - 1e-9))), (d) => d.requested);
  growTo((d) => d.desired);
  return { counts: allocation, planned };
}

/**
 * The cooldown clock after a plan is applied at `atMs`: a stage whose planned count differs from
 * what runs changes now, so does a Parc's caller parallelism, and the time at which every Parc was
 * needed (or one was created) is what draining waits on. The next tick's `lastChangeMs`.
 */
export function changeTimesAfter(plan: Plan, observation: Observation, before: Readonly<Record<string, number>>, atMs: number): Record<string, number> {
  const changes: Record<string, number> = { ...before };
  const created = plan.parcs.some((parc) => parc.action === 'create');
  if (plan.parcsNeeded || created) changes[PARCS_NEEDED_KEY] = atMs;
  if (plan.arrivalsNeedParcs || created) changes[ARRIVALS_NEED_PARCS_KEY] = atMs;
  // Saturation is timed from its start; a created Parc starts the clock again for the next one.
  if (plan.parcSaturated && !created) changes[SATURATED_SINCE_KEY] = before[SATURATED_SINCE_KEY] ?? atMs;
  else delete changes[SATURATED_SINCE_KEY];
  for (const stage of plan.stages) if (stage.desired !== stage.current) changes[stage.key] = atMs;
  for (const parc of plan.parcs) {
    const observed = observation.parcs.find((p) => p.id === parc.id);
    if (observed && observed.callerParallelism !== parc.callerParallelism) changes[`${parc.id}/parallelism`] = atMs;
  }
  return changes;
}

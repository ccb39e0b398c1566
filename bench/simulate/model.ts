/**
 * The pipeline model: proxy → proxy-store → (per Parc) incoming → caller → outgoing → responder,
 * advanced in fixed time steps. Messages are whole numbers moved in batches that keep their first
 * arrival time, so queues are FIFO and every message's time in the system is known. Instances
 * serve a fixed rate each, start useful only after a start-up delay, and reserve resources from
 * one budget; a controller says how many it wants (`Desired`) and the pipeline reconciles towards
 * that within the budget, as a cluster scheduler would (what does not fit stays pending).
 */
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from '@parc/backoff';
import {
  GLOBAL_STAGES,
  PARC_STAGES,
  type GlobalStage,
  type ParcStage,
  type Resources,
  type ScalingPolicy,
  type StageName,
  type StagePolicy,
} from '@parc/scaling';
import { normal, seededRandom, type Random } from './random';

// Jest runs specs in a vm context, where looking up a global such as `Math` is about a hundred
// times slower than reading a local: the hot loops use these module constants instead.
const { exp, floor, max, min } = Math;
const INFINITY = Number.POSITIVE_INFINITY;

/** The HTTP target every call goes to. */
export interface TargetModel {
  /** Median call duration (ms); durations are lognormal around it. */
  readonly medianLatencyMs: number;
  /** σ of the duration's logarithm: 0.5 puts 90 % of calls within 0.44–2.3 × the median. */
  readonly latencySigma: number;
  /** Chance that one attempt fails with a retryable error, independently of earlier attempts. */
  readonly failureRate: number;
}

export interface SimulationConfig {
  readonly policy: ScalingPolicy;
  /** What all instances together may reserve. */
  readonly capacity: Resources;
  readonly stepMs: number;
  readonly seed: number;
  /** From an instance's creation to its first message. */
  readonly processStartMs: number;
  /** From a new Parc's creation to its first message (topic, Redis and three deployments). */
  readonly parcStartMs: number;
  readonly target: TargetModel;
  /** Attempts and backoff of a failed call (Parc's per-request retry policy). */
  readonly retry: Pick<RetryPolicy, 'maxAttempts' | 'initialDelayMs' | 'maxDelayMs' | 'multiplier' | 'jitter'>;
}

/** How many instances a controller wants per stage, and of which Parcs. */
export interface Desired {
  readonly global: Readonly<Record<GlobalStage, number>>;
  /** A Parc missing here is removed (it must be empty by then); a new id creates one. */
  readonly parcs: readonly DesiredParc[];
}

export interface DesiredParc {
  readonly id: string;
  /** A draining Parc gets no new requests and no due retries, and finishes what it holds. */
  readonly state: 'active' | 'draining';
  readonly instances: Readonly<Record<ParcStage, number>>;
  readonly callerParallelism: number;
}

/** What controllers read of a stage: its queue, cumulative counters, instances. */
export interface StageSnapshot {
  readonly waiting: number;
  /** Messages that ever entered its queue (Kafka end offsets, a stream's entries-added). */
  readonly added: number;
  /** Messages it processed (for the caller: calls started). */
  readonly served: number;
  /** Messages its ready instances could have processed at full CPU: `served / offered` is its CPU utilisation. */
  readonly offered: number;
  /** Instances that reserve resources (starting or ready). */
  readonly instances: number;
  readonly ready: number;
}

export interface ParcSnapshot {
  readonly id: string;
  readonly state: 'active' | 'draining';
  readonly createdAtMs: number;
  readonly callerParallelism: number;
  readonly stages: Readonly<Record<ParcStage, StageSnapshot>>;
  readonly inFlight: number;
  readonly delayedSize: number;
  /** Retries in its delayed set due within `withinMs` from now. */
  delayedDueWithin(withinMs: number): number;
}

/** Messages that travel together: same first arrival, same attempts, same time queued so far. */
export interface Batch {
  /** When the request reached the proxy. */
  readonly originMs: number;
  /** Time spent waiting in queues before the current one (not in calls or backoff). */
  readonly queuedMs: number;
  /** Calls made so far. */
  readonly attempts: number;
  /** After a call: its last one (a success, or a failure with no attempts left). */
  readonly final: boolean;
  readonly count: number;
}

/**
 * A copy of `batch` with some fields changed. Spelled out rather than spread: it runs for every
 * batch at every hop, and a fixed object shape keeps that fast.
 */
function changed(batch: Batch, fields: Partial<Batch>): Batch {
  return {
    originMs: batch.originMs,
    queuedMs: fields.queuedMs ?? batch.queuedMs,
    attempts: fields.attempts ?? batch.attempts,
    final: fields.final ?? batch.final,
    count: fields.count ?? batch.count,
  };
}

const sameKind = (a: Batch, b: Batch): boolean => a.originMs === b.originMs && a.queuedMs === b.queuedMs && a.attempts === b.attempts && a.final === b.final;

/** A FIFO queue of batches that remembers when each entered (for queue waits) and how many ever did. */
class Fifo {
  private entries: { batch: Batch; enteredMs: number }[] = [];
  private head = 0;
  size = 0;
  added = 0;

  push(batch: Batch, nowMs: number): void {
    if (batch.count <= 0) return;
    this.size += batch.count;
    this.added += batch.count;
    const tail = this.entries[this.entries.length - 1];
    if (tail && this.entries.length > this.head && tail.enteredMs === nowMs && sameKind(tail.batch, batch)) {
      tail.batch = changed(tail.batch, { count: tail.batch.count + batch.count });
    } else {
      this.entries.push({ batch, enteredMs: nowMs });
    }
  }

  /** Takes up to `limit` messages from the head; their wait here is added to `queuedMs`. */
  take(limit: number, nowMs: number): Batch[] {
    const taken: Batch[] = [];
    let left = min(limit, this.size);
    while (left > 0) {
      const entry = this.entries[this.head];
      if (!entry) break;
      const count = min(left, entry.batch.count);
      taken.push(changed(entry.batch, { queuedMs: entry.batch.queuedMs + (nowMs - entry.enteredMs), count }));
      left -= count;
      this.size -= count;
      if (count === entry.batch.count) this.head++;
      else entry.batch = changed(entry.batch, { count: entry.batch.count - count });
    }
    // Drop consumed entries now and then, rather than shifting the array on every take.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  /** First arrival of the longest-waiting message, if any. */
  oldestOriginMs(): number | undefined {
    let oldest: number | undefined;
    for (let i = this.head; i < this.entries.length; i++) {
      const origin = this.entries[i]?.batch.originMs ?? INFINITY;
      if (oldest === undefined || origin < oldest) oldest = origin;
    }
    return oldest;
  }
}

/** Batches that leave at a future step: calls in flight (by completion) and the delayed retries (by due time). */
class Schedule {
  private readonly byStep = new Map<number, Batch[]>();
  size = 0;

  add(step: number, batch: Batch): void {
    const list = this.byStep.get(step);
    const last = list?.[list.length - 1];
    if (last && sameKind(last, batch)) list[list.length - 1] = changed(last, { count: last.count + batch.count });
    else if (list) list.push(batch);
    else this.byStep.set(step, [batch]);
    this.size += batch.count;
  }

  /** Removes and returns everything due at or before `step`. */
  takeDue(step: number): Batch[] {
    const due: Batch[] = [];
    for (const [at, list] of this.byStep) {
      if (at > step) continue;
      due.push(...list);
      this.byStep.delete(at);
    }
    for (const batch of due) this.size -= batch.count;
    return due;
  }

  countAt(step: number): number {
    return (this.byStep.get(step) ?? []).reduce((sum, batch) => sum + batch.count, 0);
  }

  countUpTo(step: number): number {
    let count = 0;
    for (const [at, list] of this.byStep) if (at <= step) for (const batch of list) count += batch.count;
    return count;
  }

  oldestOriginMs(): number | undefined {
    let oldest: number | undefined;
    for (const list of this.byStep.values()) for (const batch of list) if (oldest === undefined || batch.originMs < oldest) oldest = batch.originMs;
    return oldest;
  }
}

/** One stage's deployment (of the installation, or of one Parc): its input queue and its instances. */
class Stage {
  readonly queue = new Fifo();
  /** When each instance becomes ready (ms), ascending. */
  private readyAt: number[] = [];
  /** Service capacity carried to the next step, in messages: at most one (the fraction of a message). */
  private credit = 0;
  served = 0;
  offered = 0;

  constructor(
    readonly name: StageName,
    readonly policy: StagePolicy,
    /** Most instances that can work at once (incoming: the topic's partitions). */
    private readonly usable = INFINITY,
  ) {}

  get instances(): number {
    return this.readyAt.length;
  }

  ready(nowMs: number): number {
    let count = 0;
    for (const at of this.readyAt) if (at <= nowMs) count++;
    return count;
  }

  add(readyAtMs: number): void {
    this.readyAt.push(readyAtMs);
    this.readyAt.sort((a, b) => a - b);
  }

  /** Stops the instance that would be ready last (a starting one before a working one). */
  removeOne(): void {
    this.readyAt.pop();
  }

  /**
   * One step of work: the ready instances' capacity, at most `limit` messages (the caller's free
   * slots), from the head of the queue. Only the fraction of a message carries over: capacity
   * left idle (no work, or no free slot) is lost, so a stage cannot serve faster than its rate.
   */
  serve(nowMs: number, stepMs: number, limit = INFINITY): Batch[] {
    const ready = this.ready(nowMs);
    const perInstance = (this.policy.ratePerInstance * stepMs) / 1000;
    this.offered += ready * perInstance;
    this.credit += min(ready, this.usable) * perInstance;
    const count = min(this.queue.size, floor(this.credit + 1e-9), limit);
    this.credit = min(this.credit - count, 1);
    this.served += count;
    return this.queue.take(count, nowMs);
  }

  snapshot(nowMs: number): StageSnapshot {
    return { waiting: this.queue.size, added: this.queue.added, served: this.served, offered: this.offered, instances: this.instances, ready: this.ready(nowMs) };
  }
}

class Parc {
  readonly stages: Record<ParcStage, Stage>;
  /** Calls in flight, by the step in which they complete. */
  readonly inFlight = new Schedule();
  /** Retries waiting for their backoff, by the step in which they are due. */
  readonly delayed = new Schedule();
  state: 'active' | 'draining' = 'active';
  parallelism: number;

  constructor(
    readonly id: string,
    readonly createdAtMs: number,
    policy: ScalingPolicy,
    parallelism: number,
  ) {
    this.parallelism = parallelism;
    this.stages = {
      'parc-incoming': new Stage('parc-incoming', policy.stages['parc-incoming'], policy.parcs.partitions),
      'parc-caller': new Stage('parc-caller', policy.stages['parc-caller']),
      'parc-outgoing': new Stage('parc-outgoing', policy.stages['parc-outgoing']),
    };
  }

  /** Whether proxy-store and the retry mover send to it: active, and every stage has a ready instance. */
  routable(nowMs: number): boolean {
    return this.state === 'active' && PARC_STAGES.every((stage) => this.stages[stage].ready(nowMs) > 0);
  }

  holds(): number {
    return PARC_STAGES.reduce((sum, stage) => sum + this.stages[stage].queue.size, 0) + this.inFlight.size + this.delayed.size;
  }
}

/** Resources that `instances` of `policy` reserve. */
const times = (policy: StagePolicy, instances: number): Resources => ({ cpuMillis: policy.resources.cpuMillis * instances, memoryMiB: policy.resources.memoryMiB * instances });
const plus = (a: Resources, b: Resources): Resources => ({ cpuMillis: a.cpuMillis + b.cpuMillis, memoryMiB: a.memoryMiB + b.memoryMiB });
const ZERO: Resources = { cpuMillis: 0, memoryMiB: 0 };

/** Resources a desired state asks for in all (pending instances included). */
export function requested(desired: Desired, policy: ScalingPolicy): Resources {
  const global = GLOBAL_STAGES.reduce((sum, stage) => plus(sum, times(policy.stages[stage], desired.global[stage])), ZERO);
  return desired.parcs.reduce((sum, parc) => PARC_STAGES.reduce((inner, stage) => plus(inner, times(policy.stages[stage], parc.instances[stage])), sum), global);
}

export const exceeds = (resources: Resources, capacity: Resources): boolean => resources.cpuMillis > capacity.cpuMillis || resources.memoryMiB > capacity.memoryMiB;

/** A message that left the pipeline: its callback is on its way. */
export interface Finished {
  readonly timeInSystemMs: number;
  readonly queuedMs: number;
  readonly count: number;
}

export class Pipeline {
  private stepIndex = 0;
  private readonly global: Record<GlobalStage, Stage>;
  private readonly parcs: Parc[] = [];
  private desired: Desired;
  private readonly callRandom: Random;
  private readonly backoffRandom: Random;
  /** Scratch counts by key for one batch (reused: a new Map per batch is measurable in Jest). */
  private readonly tally = new Map<number, number>();
  /** Where the next remainder of a split goes, so that no Parc is favoured by rounding. */
  private routeCursor = 0;

  constructor(
    readonly config: SimulationConfig,
    /** The installation the run starts with, already running (ready at t = 0). */
    initial: Desired,
  ) {
    const { policy } = config;
    this.global = {
      proxy: new Stage('proxy', policy.stages.proxy),
      'proxy-store': new Stage('proxy-store', policy.stages['proxy-store']),
      responder: new Stage('responder', policy.stages.responder),
    };
    // Streams 1 and 2 (arrivals use 0): consumption differs between controllers, but each
    // stream's draws stay independent of how often the others are used.
    this.callRandom = seededRandom(config.seed, 1);
    this.backoffRandom = seededRandom(config.seed, 2);
    this.desired = initial;
    this.reconcile(0, true);
  }

  get nowMs(): number {
    return this.stepIndex * this.config.stepMs;
  }

  get capacity(): Resources {
    return this.config.capacity;
  }

  /** Sets what the controller wants; instances follow from the next step on, within the budget. */
  setDesired(desired: Desired): void {
    this.desired = desired;
  }

  globalStage(stage: GlobalStage): StageSnapshot {
    return this.global[stage].snapshot(this.nowMs);
  }

  parcSnapshots(): ParcSnapshot[] {
    const now = this.nowMs;
    const step = this.stepIndex;
    const stepMs = this.config.stepMs;
    return this.parcs.map((parc) => ({
      id: parc.id,
      state: parc.state,
      createdAtMs: parc.createdAtMs,
      callerParallelism: parc.parallelism,
      stages: {
        'parc-incoming': parc.stages['parc-incoming'].snapshot(now),
        'parc-caller': parc.stages['parc-caller'].snapshot(now),
        'parc-outgoing': parc.stages['parc-outgoing'].snapshot(now),
      },
      inFlight: parc.inFlight.size,
      delayedSize: parc.delayed.size,
      delayedDueWithin: (withinMs: number) => parc.delayed.countUpTo(step + floor(withinMs / stepMs)),
    }));
  }

  /** Instances reserving resources per stage, a Parc stage summed over the Parcs. */
  instancesByStage(): Record<StageName, number> {
    const counts = Object.fromEntries([...GLOBAL_STAGES, ...PARC_STAGES].map((stage) => [stage, 0])) as Record<StageName, number>;
    for (const stage of GLOBAL_STAGES) counts[stage] = this.global[stage].instances;
    for (const parc of this.parcs) for (const stage of PARC_STAGES) counts[stage] += parc.stages[stage].instances;
    return counts;
  }

  /** Messages waiting in a queue (not in a call, not waiting for a retry's backoff). */
  waiting(): number {
    const global = GLOBAL_STAGES.reduce((sum, stage) => sum + this.global[stage].queue.size, 0);
    return this.parcs.reduce((sum, parc) => sum + PARC_STAGES.reduce((inner, stage) => inner + parc.stages[stage].queue.size, 0), global);
  }

  /** Messages still inside: waiting, in a call or waiting for a retry. */
  inside(): number {
    return GLOBAL_STAGES.reduce((sum, stage) => sum + this.global[stage].queue.size, 0) + this.parcs.reduce((sum, parc) => sum + parc.holds(), 0);
  }

  /** First arrival of the oldest message still inside. */
  oldestOriginMs(): number | undefined {
    const origins = [
      ...GLOBAL_STAGES.map((stage) => this.global[stage].queue.oldestOriginMs()),
      ...this.parcs.flatMap((parc) => [...PARC_STAGES.map((stage) => parc.stages[stage].queue.oldestOriginMs()), parc.inFlight.oldestOriginMs(), parc.delayed.oldestOriginMs()]),
    ].filter((origin): origin is number => origin !== undefined);
    return origins.length === 0 ? undefined : min(...origins);
  }

  /**
   * One step: instances follow the desired state, `arrivals` new requests reach the proxy, then
   * every stage works in pipeline order, so a message that finds capacity everywhere crosses all
   * queues within the step and only messages that meet a shortage wait (the hops' own latency of
   * a few ms is left out). Returns what the responder finished.
   */
  advance(arrivals: number): Finished[] {
    const now = this.nowMs;
    const { stepMs } = this.config;
    this.reconcile(now, false);
    this.global.proxy.queue.push({ originMs: now, queuedMs: 0, attempts: 0, final: false, count: arrivals }, now);
    for (const batch of this.global.proxy.serve(now, stepMs)) this.global['proxy-store'].queue.push(batch, now);
    // Proxy-store and the retry mover send only to a Parc that can take requests; meanwhile the inbox grows and due retries wait.
    const routable = this.parcs.filter((parc) => parc.routable(now));
    if (routable.length > 0) {
      for (const parc of this.parcs) this.route(parc.delayed.takeDue(this.stepIndex), routable, now);
      this.route(this.global['proxy-store'].serve(now, stepMs), routable, now);
    }
    for (const parc of this.parcs) {
      for (const batch of parc.stages['parc-incoming'].serve(now, stepMs)) parc.stages['parc-caller'].queue.push(batch, now);
      this.call(parc, now);
      this.outgoing(parc, now);
    }
    const finished = this.global.responder.serve(now, stepMs).map((batch) => ({ timeInSystemMs: now - batch.originMs, queuedMs: batch.queuedMs, count: batch.count }));
    this.stepIndex++;
    return finished;
  }

  /** Outgoing: finals to the responses topic, retries to the Parc's delayed set after their backoff. */
  private outgoing(parc: Parc, now: number): void {
    const { stepMs } = this.config;
    for (const batch of parc.stages['parc-outgoing'].serve(now, stepMs)) {
      if (batch.final) {
        this.global.responder.queue.push(batch, now);
        continue;
      }
      const byStep = this.tally;
      byStep.clear();
      for (let i = 0; i < batch.count; i++) {
        const delayMs = backoffDelayMs(this.config.retry, batch.attempts - 1, this.backoffRandom);
        const due = floor((now + delayMs) / stepMs);
        byStep.set(due, (byStep.get(due) ?? 0) + 1);
      }
      for (const [due, count] of byStep) parc.delayed.add(due, changed(batch, { count }));
    }
  }

  /**
   * The caller: starts as many calls as its CPU allows and its free slots (parallelism × ready
   * instances, counting slots that free up during this step) hold; each call lasts a lognormal
   * time from a start spread over the step, and fails with the target's failure rate. Calls that
   * complete during this step go to `done`.
   */
  private call(parc: Parc, now: number): void {
    const { stepMs, target, retry } = this.config;
    const caller = parc.stages['parc-caller'];
    const completing = parc.inFlight.countAt(this.stepIndex);
    const slots = parc.parallelism * caller.ready(now);
    const free = max(0, slots - parc.inFlight.size + completing);
    const batches = caller.serve(now, stepMs, free);
    const started = batches.reduce((sum, batch) => sum + batch.count, 0);
    let index = 0;
    for (const batch of batches) {
      // Outcome key: completion step × 2 + (failed ? 1 : 0).
      const outcomes = this.tally;
      outcomes.clear();
      for (let i = 0; i < batch.count; i++, index++) {
        const startMs = now + ((index + 0.5) / started) * stepMs;
        const latencyMs = target.medianLatencyMs * exp(target.latencySigma * normal(this.callRandom));
        const failed = this.callRandom() < target.failureRate ? 1 : 0;
        const key = floor((startMs + latencyMs) / stepMs) * 2 + failed;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
      for (const [key, count] of outcomes) {
        const attempts = batch.attempts + 1;
        const failed = key % 2 === 1;
        parc.inFlight.add(floor(key / 2), changed(batch, { attempts, final: !failed || attempts >= retry.maxAttempts, count }));
      }
    }
    for (const batch of parc.inFlight.takeDue(this.stepIndex)) parc.stages['parc-outgoing'].queue.push(batch, now);
  }

  /** Spreads batches evenly over the routable Parcs' requests topics (the router hashes request ids). */
  private route(batches: readonly Batch[], routable: readonly Parc[], now: number): void {
    const n = routable.length;
    for (const batch of batches) {
      const share = floor(batch.count / n);
      const remainder = batch.count - share * n;
      routable.forEach((parc, i) => {
        const extra = (i - this.routeCursor + n) % n < remainder ? 1 : 0;
        parc.stages['parc-incoming'].queue.push(changed(batch, { count: share + extra }), now);
      });
      this.routeCursor = (this.routeCursor + remainder) % n;
    }
  }

  /**
   * Instances follow the desired state: Parcs created, drained or removed; scale-downs at once;
   * scale-ups one instance per stage in turn while the budget has room (the rest stays pending
   * and is retried every step). New instances are ready after the process start-up, a new Parc's
   * at the earliest after the Parc's own start-up; `warm` (the starting installation) at once.
   */
  private reconcile(now: number, warm: boolean): void {
    const readyAtMs = warm ? now : now + this.config.processStartMs;
    const desired = this.desired;
    const wanted = new Set(desired.parcs.map((parc) => parc.id));
    for (let i = this.parcs.length - 1; i >= 0; i--) {
      const parc = this.parcs[i];
      if (!parc || wanted.has(parc.id)) continue;
      const held = parc.holds();
      if (held > 0) throw new Error(`Parc ${parc.id} removed while it still holds ${held} messages`);
      this.parcs.splice(i, 1);
    }
    const targets: { stage: Stage; count: number; readyAtMs: number }[] = GLOBAL_STAGES.map((stage) => ({ stage: this.global[stage], count: desired.global[stage], readyAtMs }));
    for (const want of desired.parcs) {
      let parc = this.parcs.find((p) => p.id === want.id);
      if (!parc) {
        parc = new Parc(want.id, now, this.config.policy, want.callerParallelism);
        this.parcs.push(parc);
      }
      parc.state = want.state;
      parc.parallelism = want.callerParallelism;
      const parcReadyAt = warm ? now : max(readyAtMs, parc.createdAtMs + this.config.parcStartMs);
      for (const stage of PARC_STAGES) targets.push({ stage: parc.stages[stage], count: want.instances[stage], readyAtMs: parcReadyAt });
    }
    for (const target of targets) while (target.stage.instances > target.count) target.stage.removeOne();
    let used = this.reserved();
    let growing = targets.filter((target) => target.stage.instances < target.count);
    while (growing.length > 0) {
      growing = growing.filter((target) => {
        const next = plus(used, times(target.stage.policy, 1));
        if (exceeds(next, this.config.capacity)) return false;
        target.stage.add(target.readyAtMs);
        used = next;
        return target.stage.instances < target.count;
      });
    }
  }

  /** Resources the existing instances reserve. */
  reserved(): Resources {
    const global = GLOBAL_STAGES.reduce((sum, stage) => plus(sum, times(this.global[stage].policy, this.global[stage].instances)), ZERO);
    return this.parcs.reduce((sum, parc) => PARC_STAGES.reduce((inner, stage) => plus(inner, times(parc.stages[stage].policy, parc.stages[stage].instances)), sum), global);
  }
}

/** The model's defaults: see bench/simulate/README.md for why each value. */
export function defaultConfig(policy: ScalingPolicy): SimulationConfig {
  return {
    policy,
    capacity: { cpuMillis: 6_000, memoryMiB: 8_192 },
    stepMs: 100,
    seed: 1,
    processStartMs: 2_000,
    parcStartMs: 10_000,
    target: { medianLatencyMs: 100, latencySigma: 0.5, failureRate: 0.1 },
    retry: {
      maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts,
      initialDelayMs: DEFAULT_RETRY_POLICY.initialDelayMs,
      maxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs,
      multiplier: DEFAULT_RETRY_POLICY.multiplier,
      jitter: DEFAULT_RETRY_POLICY.jitter,
    },
  };
}

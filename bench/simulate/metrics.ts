/**
 * What a run costs and how well it serves: resource-seconds allocated against those needed
 * (surplus and shortfall per stage), backlog-seconds, time in system, and the controller's
 * decisions (budget violations, scaling changes). Definitions in bench/simulate/README.md.
 */
import { GLOBAL_STAGES, PARC_STAGES, type StageName } from '@parc/scaling';
import { exceeds, requested, type Desired, type Finished, type Pipeline, type SimulationConfig } from './model';
import { instancesByStage, sizedFor } from './sizing';

// Jest runs specs in a vm context, where looking up a global such as `Math` is about a hundred
// times slower than reading a local: the hot loops use these module constants instead.
const { floor, max } = Math;

export interface ControllerMetrics {
  readonly controller: string;
  /** CPU reserved by every instance (starting ones included), core-seconds. */
  readonly allocatedCoreS: number;
  /** CPU of the fewest instances that serve the offered rate at each moment, core-seconds. */
  readonly neededCoreS: number;
  /** Allocated beyond the needed, per stage, summed (over-provisioning). */
  readonly surplusCoreS: number;
  /** Needed beyond the allocated, per stage, summed (under-provisioning). */
  readonly shortfallCoreS: number;
  /** Messages waiting in queues, integrated over time (message-seconds). */
  readonly backlogMessageS: number;
  /** Requests finished (their final result reached the responder). */
  readonly completed: number;
  /** Requests still inside when the trace ended. */
  readonly unfinished: number;
  readonly p99TimeInSystemS: number;
  /** The longest any request was inside: finished, or still inside at the end. */
  readonly maxTimeInSystemS: number;
  /** The longest any finished request waited in queues (calls and retry backoff excluded). */
  readonly maxQueueWaitS: number;
  /** Decisions that asked for more than the budget holds (clipped: the rest stayed pending). */
  readonly budgetViolations: number;
  /** Changes of a stage's desired instance count (a Parc created or removed counts its stages). */
  readonly scalingChanges: number;
  readonly peakAllocatedCpuMillis: number;
}

/** One second of a run. */
export interface TimelinePoint {
  readonly tS: number;
  readonly allocatedCpuMillis: number;
  readonly waiting: number;
}

const STAGES: readonly StageName[] = [...GLOBAL_STAGES, ...PARC_STAGES];
const HISTOGRAM_BIN_MS = 100;

/** Instances per stage that serve `rate` requests/s at 100 % (callers at their best parallelism), cached per rate. */
export function neededCalculator(config: SimulationConfig): (rate: number) => Readonly<Record<StageName, number>> {
  const cache = new Map<number, Record<StageName, number>>();
  return (rate) => {
    let needed = cache.get(rate);
    if (!needed) {
      needed = instancesByStage(sizedFor(rate, config, 1, config.policy.caller.maxParallelism));
      cache.set(rate, needed);
    }
    return needed;
  };
}

export function cpuOf(counts: Readonly<Record<StageName, number>>, config: SimulationConfig): number {
  return STAGES.reduce((sum, stage) => sum + counts[stage] * config.policy.stages[stage].resources.cpuMillis, 0);
}

/** Desired counts by a key per deployment (`proxy`, `p2/parc-caller`), to count changes. */
function deployments(desired: Desired): Map<string, number> {
  const counts = new Map<string, number>(GLOBAL_STAGES.map((stage) => [stage, desired.global[stage]]));
  for (const parc of desired.parcs) for (const stage of PARC_STAGES) counts.set(`${parc.id}/${stage}`, parc.instances[stage]);
  return counts;
}

export class MetricsRecorder {
  private readonly needed: (rate: number) => Readonly<Record<StageName, number>>;
  private allocatedMs = 0;
  private neededMs = 0;
  private surplusMs = 0;
  private shortfallMs = 0;
  private backlogMs = 0;
  private completed = 0;
  private maxTimeMs = 0;
  private maxQueuedMs = 0;
  private readonly timeBins = new Map<number, number>();
  private violations = 0;
  private changes = 0;
  private previous: Map<string, number> | undefined;
  private peakCpu = 0;
  readonly timeline: TimelinePoint[] = [];

  constructor(
    private readonly config: SimulationConfig,
    private readonly controller: string,
  ) {
    this.needed = neededCalculator(config);
  }

  decision(desired: Desired): void {
    if (exceeds(requested(desired, this.config.policy), this.config.capacity)) this.violations++;
    const now = deployments(desired);
    if (this.previous) {
      for (const key of new Set([...now.keys(), ...this.previous.keys()])) if ((now.get(key) ?? 0) !== (this.previous.get(key) ?? 0)) this.changes++;
    }
    this.previous = now;
  }

  finished(batches: readonly Finished[]): void {
    for (const batch of batches) {
      this.completed += batch.count;
      this.maxTimeMs = max(this.maxTimeMs, batch.timeInSystemMs);
      this.maxQueuedMs = max(this.maxQueuedMs, batch.queuedMs);
      const bin = floor(batch.timeInSystemMs / HISTOGRAM_BIN_MS);
      this.timeBins.set(bin, (this.timeBins.get(bin) ?? 0) + batch.count);
    }
  }

  /** One step just worked at `offeredRate`: what it allocated against what it needed, and what waited. */
  step(offeredRate: number, pipeline: Pipeline): void {
    const { stepMs } = this.config;
    const needed = this.needed(offeredRate);
    const allocated = pipeline.instancesByStage();
    for (const stage of STAGES) {
      const cpu = this.config.policy.stages[stage].resources.cpuMillis;
      const difference = (allocated[stage] - needed[stage]) * cpu;
      this.allocatedMs += allocated[stage] * cpu * stepMs;
      this.neededMs += needed[stage] * cpu * stepMs;
      if (difference > 0) this.surplusMs += difference * stepMs;
      else this.shortfallMs -= difference * stepMs;
    }
    const waiting = pipeline.waiting();
    this.backlogMs += waiting * stepMs;
    const cpu = cpuOf(allocated, this.config);
    this.peakCpu = max(this.peakCpu, cpu);
    // A point per whole second: enough for the chart, small enough for the JSON.
    if (pipeline.nowMs % 1000 === 0) this.timeline.push({ tS: pipeline.nowMs / 1000, allocatedCpuMillis: cpu, waiting });
  }

  result(pipeline: Pipeline): ControllerMetrics {
    const oldest = pipeline.oldestOriginMs();
    const unfinishedAgeMs = oldest === undefined ? 0 : pipeline.nowMs - oldest;
    // Millicore-ms to core-seconds.
    const coreS = (millicoreMs: number): number => millicoreMs / 1_000_000;
    return {
      controller: this.controller,
      allocatedCoreS: coreS(this.allocatedMs),
      neededCoreS: coreS(this.neededMs),
      surplusCoreS: coreS(this.surplusMs),
      shortfallCoreS: coreS(this.shortfallMs),
      backlogMessageS: this.backlogMs / 1000,
      completed: this.completed,
      unfinished: pipeline.inside(),
      p99TimeInSystemS: this.percentileMs(0.99) / 1000,
      maxTimeInSystemS: max(this.maxTimeMs, unfinishedAgeMs) / 1000,
      maxQueueWaitS: this.maxQueuedMs / 1000,
      budgetViolations: this.violations,
      scalingChanges: this.changes,
      peakAllocatedCpuMillis: this.peakCpu,
    };
  }

  /** The upper edge of the histogram bin holding the `fraction` quantile of finished requests' time in system. */
  private percentileMs(fraction: number): number {
    const bins = [...this.timeBins.entries()].sort((a, b) => a[0] - b[0]);
    let seen = 0;
    for (const [bin, count] of bins) {
      seen += count;
      if (seen >= fraction * this.completed) return (bin + 1) * HISTOGRAM_BIN_MS;
    }
    return 0;
  }
}

export const surplusPercent = (metrics: ControllerMetrics): number => (metrics.neededCoreS > 0 ? (metrics.surplusCoreS / metrics.neededCoreS) * 100 : 0);
export const shortfallPercent = (metrics: ControllerMetrics): number => (metrics.neededCoreS > 0 ? (metrics.shortfallCoreS / metrics.neededCoreS) * 100 : 0);

import { Gauge, Registry } from 'prom-client';
import { errorBackoffMs, silentLogger, sleep, type QueueLogger } from '@parc/queue';
import { changeTimesAfter, decide, type Observation, type Plan, type ScalingPolicy } from '@parc/scaling';
import { registerOnce, type CloseStep } from '@parc/service-kit';
import type { DecisionLog } from '@parc/store';
import type { ScalingDriver } from './driver';
import { readSignals, toObservation, type PipelineSignals, type Readings } from './observe';

/** One tick, as the decision log keeps it. */
export interface DecisionEntry {
  readonly atMs: number;
  readonly driver: string;
  readonly readings: Readings;
  readonly observation: Observation;
  readonly plan: Plan;
  /** Whether the driver applied the plan; `error` says why not. */
  readonly applied: boolean;
  readonly error?: string;
  /** When each stage (and each Parc's parallelism) last changed: the next tick's cooldowns. */
  readonly lastChangeMs: Readonly<Record<string, number>>;
}

export interface ControlLoopOptions {
  readonly signals: PipelineSignals;
  readonly driver: ScalingDriver;
  readonly policy: ScalingPolicy;
  readonly decisions: DecisionLog;
  /** Time between ticks; default 1000 ms. */
  readonly tickMs?: number;
  /** Ticks the decision log keeps; default 600 (10 minutes at 1 s). */
  readonly maxEntries?: number;
  /**
   * Arrival rates are measured over about this long (from the oldest logged tick within it):
   * over one tick, bursty stages read as 0/s one tick and double the next. Default 5000 ms.
   */
  readonly rateWindowMs?: number;
  /** Call duration assumed while a Parc's callers are idle (otherwise measured: in flight ÷ finished per second); default 100 ms. */
  readonly callLatencyMs?: number;
  readonly logger?: QueueLogger;
  readonly registry?: Registry;
  readonly now?: () => number;
}

export interface ControlLoop extends CloseStep {
  close(): Promise<void>;
  /** One observe → decide → act round (the loop calls it every tick; tests call it directly). */
  tick(): Promise<DecisionEntry>;
  /** Ticks every `tickMs` until closed (a failed tick is logged and retried with backoff). */
  start(): void;
}

/**
 * The scheduler's control loop. Stateless: each tick reads the driver's state, every signal and
 * the previous tick's entry from the decision log (for rates and cooldowns), decides with the
 * pure `decide`, applies through the driver and appends the new entry — so a killed and restarted
 * scheduler carries on exactly where the old one stopped.
 */
export function createControlLoop(options: ControlLoopOptions): ControlLoop {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? 1_000;
  const rateWindowMs = options.rateWindowMs ?? 5_000;
  const gauges = schedulerGauges(options.registry ?? new Registry());

  const tick = async (): Promise<DecisionEntry> => {
    const atMs = now();
    const [cluster, recent] = await Promise.all([options.driver.state(), options.decisions.recent(Math.ceil(rateWindowMs / tickMs) + 1)]);
    const logged = recent.map((line) => JSON.parse(line) as DecisionEntry);
    const previous = logged[0];
    // The oldest logged tick within the rate window (newest first in the log).
    const rateBase = logged.filter((entry) => entry.atMs >= atMs - rateWindowMs).at(-1) ?? previous;
    const readings = await readSignals(options.signals, cluster.parcs.map((parc) => parc.id), atMs);
    const lastChangeMs = previous?.lastChangeMs ?? {};
    const observation = toObservation({ readings, previous: rateBase?.readings, latest: previous?.readings, signals: options.signals, cluster, lastChangeMs, callLatencyMs: options.callLatencyMs ?? 100 });
    const plan = decide(observation, options.policy);
    let applied = true;
    let error: string | undefined;
    try {
      await options.driver.apply(plan);
    } catch (cause) {
      applied = false;
      error = cause instanceof Error ? cause.message : String(cause);
      logger.warn({ err: cause, driver: options.driver.name }, 'the driver could not apply the plan; the next tick tries again');
    }
    const entry: DecisionEntry = {
      atMs,
      driver: options.driver.name,
      readings,
      observation,
      plan,
      applied,
      ...(error === undefined ? {} : { error }),
      lastChangeMs: applied ? changeTimesAfter(plan, observation, lastChangeMs, atMs) : lastChangeMs,
    };
    await options.decisions.append(JSON.stringify(entry), options.maxEntries ?? 600);
    report(plan, observation, gauges, logger);
    return entry;
  };

  const stopping = new AbortController();
  let loop: Promise<void> | undefined;
  return {
    name: 'scheduler control loop',
    tick,
    start: () => {
      loop ??= (async () => {
        let failures = 0;
        while (!stopping.signal.aborted) {
          try {
            await tick();
            failures = 0;
            await sleep(tickMs, stopping.signal);
          } catch (cause) {
            failures++;
            logger.warn({ err: cause, failures }, 'scheduler tick failed; trying again');
            await sleep(errorBackoffMs(failures, tickMs), stopping.signal);
          }
        }
      })();
    },
    close: async () => {
      stopping.abort();
      await loop;
    },
  };
}

interface SchedulerGauges {
  readonly desired: Gauge<'stage'>;
  readonly actual: Gauge<'stage'>;
  readonly budget: Gauge<'resource' | 'kind'>;
  readonly callerParallelism: Gauge<'parc'>;
}

function schedulerGauges(registry: Registry): SchedulerGauges {
  return {
    desired: registerOnce(registry, 'parc_scheduler_desired_instances', (r) => new Gauge({ name: 'parc_scheduler_desired_instances', help: 'Instances the latest plan wants per stage (p1/parc-caller for a Parc stage).', labelNames: ['stage'], registers: [r] })),
    actual: registerOnce(registry, 'parc_scheduler_actual_instances', (r) => new Gauge({ name: 'parc_scheduler_actual_instances', help: 'Instances running per stage when the latest plan was made.', labelNames: ['stage'], registers: [r] })),
    budget: registerOnce(registry, 'parc_scheduler_budget', (r) => new Gauge({ name: 'parc_scheduler_budget', help: 'Capacity available to Parc, what the latest plan reserves of it, and the CPU its instances used when the driver reads it (cpu in millicores, memory in MiB).', labelNames: ['resource', 'kind'], registers: [r] })),
    callerParallelism: registerOnce(registry, 'parc_scheduler_caller_parallelism', (r) => new Gauge({ name: 'parc_scheduler_caller_parallelism', help: "Calls in flight the latest plan allows each of a Parc's parc-caller instances, per Parc (one series per Parc not removed).", labelNames: ['parc'], registers: [r] })),
  };
}

function report(plan: Plan, observation: Observation, gauges: SchedulerGauges, logger: QueueLogger): void {
  for (const stage of plan.stages) {
    gauges.desired.set({ stage: stage.key }, stage.desired);
    gauges.actual.set({ stage: stage.key }, stage.current);
    if (stage.desired !== stage.current) logger.info({ stage: stage.key, from: stage.current, to: stage.desired, reason: stage.reason }, 'scaling');
  }
  for (const parc of plan.parcs) if (parc.action !== 'keep') logger.info({ parc: parc.id, action: parc.action, reason: parc.reason }, 'Parc set change');
  // Reset first: a removed Parc's series goes instead of staying at its last value.
  gauges.callerParallelism.reset();
  for (const parc of plan.parcs) if (parc.state !== 'removed') gauges.callerParallelism.set({ parc: parc.id }, parc.callerParallelism);
  gauges.budget.set({ resource: 'cpu', kind: 'capacity' }, observation.capacity.cpuMillis);
  gauges.budget.set({ resource: 'cpu', kind: 'planned' }, plan.budget.planned.cpuMillis);
  gauges.budget.set({ resource: 'memory', kind: 'capacity' }, observation.capacity.memoryMiB);
  gauges.budget.set({ resource: 'memory', kind: 'planned' }, plan.budget.planned.memoryMiB);
  if (observation.cpu) gauges.budget.set({ resource: 'cpu', kind: 'used' }, observation.cpu.usedMillis);
}

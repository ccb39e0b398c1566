import type { Observation, StageLoad } from '@parc/scaling';
import type { ClusterState } from './driver';
import type { DelayedReading, QueueReading, Signal } from './signals/signal';

/** The signals of one Parc. */
export interface ParcSignals {
  /** Its Kafka requests topic, for its incoming group. */
  readonly requests: Signal<QueueReading>;
  readonly ready: Signal<QueueReading>;
  readonly done: Signal<QueueReading>;
  readonly delayed: Signal<DelayedReading>;
}

/** Every signal the scheduler reads each tick. */
export interface PipelineSignals {
  readonly inbox: Signal<QueueReading>;
  readonly responses: Signal<QueueReading>;
  readonly callbacks: Signal<QueueReading>;
  /** By Parc id; a Parc without signals (just created) observes as idle. */
  readonly parcs: (parcId: string) => ParcSignals;
}

/** One tick's raw readings, by signal name: what the decision log keeps for the next tick's rates. */
export interface Readings {
  readonly atMs: number;
  readonly queues: Readonly<Record<string, QueueReading>>;
  readonly delayed: Readonly<Record<string, DelayedReading>>;
}

/** Reads every signal of the pipeline and of the Parcs in `parcIds`, in parallel. */
export async function readSignals(signals: PipelineSignals, parcIds: readonly string[], nowMs: number): Promise<Readings> {
  const queueSignals = [signals.inbox, signals.responses, signals.callbacks, ...parcIds.flatMap((id) => {
    const parc = signals.parcs(id);
    return [parc.requests, parc.ready, parc.done];
  })];
  const delayedSignals = parcIds.map((id) => signals.parcs(id).delayed);
  const [queues, delayed] = await Promise.all([
    Promise.all(queueSignals.map(async (signal) => [signal.name, await signal.read(nowMs)] as const)),
    Promise.all(delayedSignals.map(async (signal) => [signal.name, await signal.read(nowMs)] as const)),
  ]);
  return { atMs: nowMs, queues: Object.fromEntries(queues), delayed: Object.fromEntries(delayed) };
}

const EMPTY: QueueReading = { waiting: 0, inFlight: 0, added: 0 };

/**
 * The observation `decide` takes, from this tick's readings, earlier ticks' (for rates: the change
 * of each queue's `added` counter since then; none on the very first tick) and what the driver
 * reports running. A queue's rate is the larger of the rate over the window (`previous`, the
 * oldest tick within it: smooth, so a lull does not scale down) and the rate since the last tick
 * (`latest`: a burst is seen one tick after it starts, not once it fills the window). Pure.
 */
export function toObservation(input: {
  readonly readings: Readings;
  readonly previous: Readings | undefined;
  /** The tick just before this one, when it is not `previous`. */
  readonly latest?: Readings | undefined;
  readonly signals: PipelineSignals;
  readonly cluster: ClusterState;
  readonly lastChangeMs: Readonly<Record<string, number>>;
  /** Call duration assumed while a Parc's callers are idle (ms). */
  readonly callLatencyMs: number;
}): Observation {
  const { readings, previous, signals, cluster } = input;
  const queue = (signal: Signal<QueueReading>): QueueReading => readings.queues[signal.name] ?? EMPTY;
  const rateSince = (base: Readings | undefined, signal: Signal<QueueReading>): number => {
    const before = base?.queues[signal.name];
    const seconds = base ? (readings.atMs - base.atMs) / 1000 : 0;
    if (!before || seconds <= 0) return 0;
    return Math.max(0, (queue(signal).added - before.added) / seconds);
  };
  const rate = (signal: Signal<QueueReading>): number => Math.max(rateSince(previous, signal), rateSince(input.latest, signal));
  const load = (signal: Signal<QueueReading>, extraBacklog = 0): StageLoad => ({
    arrivalRate: rate(signal),
    backlog: queue(signal).waiting + queue(signal).inFlight + extraBacklog,
  });
  return {
    nowMs: readings.atMs,
    proxy: { arrivalRate: rate(signals.inbox), backlog: 0 },
    proxyStore: load(signals.inbox),
    responder: { arrivalRate: rate(signals.responses), backlog: queue(signals.responses).waiting + queue(signals.callbacks).waiting },
    globalInstances: cluster.globalInstances,
    capacity: cluster.capacity,
    ...(cluster.cpu === undefined ? {} : { cpu: cluster.cpu }),
    lastChangeMs: input.lastChangeMs,
    parcs: cluster.parcs.map((parc) => {
      const own = signals.parcs(parc.id);
      const ready = queue(own.ready);
      // Little's law: the time a message spends with the callers is what they hold over what they
      // finish per second (what reaches done). Batch-level acknowledgement holds a batch until its
      // slowest call ends, so this leans towards the slow side: more instances, less parallelism.
      const finishing = rate(own.done);
      const callLatencyMs = ready.inFlight > 0 && finishing > 0 ? (1000 * ready.inFlight) / finishing : input.callLatencyMs;
      return {
        id: parc.id,
        state: parc.state,
        createdAtMs: parc.createdAtMs,
        instances: parc.instances,
        callerParallelism: parc.callerParallelism,
        incoming: load(own.requests),
        caller: { arrivalRate: rate(own.ready), backlog: ready.waiting, inFlight: ready.inFlight, callLatencyMs },
        outgoing: load(own.done),
        delayed: readings.delayed[own.delayed.name] ?? { size: 0, dueSoon: 0 },
      };
    }),
  };
}

/**
 * A signal: one thing the scheduler reads from the system each tick. Each source is one small
 * file behind this one narrow interface; its I/O (a queue backend, a delayed set) is injected,
 * so tests hand it a memory backend and production a Redis or Kafka one.
 */
export interface Signal<T> {
  /** Names the reading in the decision log, e.g. `p1/ready`. */
  readonly name: string;
  read(nowMs: number): Promise<T>;
}

/** A queue as a consumer group sees it. */
export interface QueueReading {
  readonly waiting: number;
  readonly inFlight: number;
  /** Messages ever added: the arrival rate is its change between two readings. */
  readonly added: number;
}

/** A delayed-retry set. */
export interface DelayedReading {
  readonly size: number;
  /** Items due within the signal's horizon. */
  readonly dueSoon: number;
}

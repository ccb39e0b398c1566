/**
 * The queue port: the narrow set of operations the pipeline stages need from a queue,
 * whatever carries it (Redis streams, Kafka topics, or memory for the embedded mode).
 *
 * Semantics every adapter honours (the conformance suite in @parc/testing checks them):
 * - `publish` resolves only once every message is durable in the backend.
 * - Delivery is at-least-once to a consumer group: a batch is acknowledged when its handler
 *   resolves, and only then. A handler that throws, or a consumer that dies while holding a
 *   batch, gets the batch redelivered (to any consumer of the group).
 * - Within a group, each message goes to one consumer at a time.
 * - Order: FIFO per queue (Redis, memory) or per partition (Kafka); redeliveries may come later.
 * - `close()` is idempotent: it stops fetching at once, lets running handlers finish (their
 *   batches are acknowledged), hands back at once what it holds and will not handle (Redis,
 *   memory: another consumer of the group takes it without waiting for its lease; Kafka: the
 *   member leaves its group, so its partitions go to the others without waiting for its
 *   session), then releases connections.
 */

/** A message to publish. Payloads are text (JSON envelopes); `key` picks the Kafka partition. */
export interface OutboundMessage {
  readonly payload: string;
  readonly key?: string;
}

/** A message handed to a consumer. */
export interface Delivery {
  /** The backend's id: a stream entry id, `partition:offset`, or a memory sequence number. */
  readonly id: string;
  readonly payload: string;
  readonly key?: string;
  /**
   * How many times this message has been delivered to the group, this time included, as far as
   * the backend knows (Redis and memory count; Kafka cannot tell and reports 1).
   */
  readonly deliveryCount: number;
}

/** Given to every handler call. */
export interface BatchContext {
  /**
   * Aborted when the consumer starts closing: long handlers may stop early and throw; what has not
   * started should, so that its batch is handed back to the group at once.
   */
  readonly signal: AbortSignal;
}

/** Resolving acknowledges the whole batch; throwing leaves it for redelivery. */
export type BatchHandler = (batch: readonly Delivery[], context: BatchContext) => Promise<void>;

export interface ConsumeOptions {
  readonly queue: string;
  /** Consumers with the same group share the work; each message goes to one of them. */
  readonly group: string;
  /** Upper bound of deliveries per handler call. */
  readonly batchSize: number;
  /** Handler calls running at once in this consumer (default 1). Bounds in-flight work. */
  readonly concurrency?: number;
  readonly handler: BatchHandler;
  /** Told about handler failures and backend errors; the consumer keeps going. */
  readonly onError?: (error: unknown, batch?: readonly Delivery[]) => void;
}

/** A running consumer of one queue. */
export interface QueueConsumer {
  readonly queue: string;
  readonly group: string;
  /** Stop fetching new batches (running handlers finish); used for backpressure. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /**
   * Idempotent: stop fetching, wait for running handlers, hand back what is left unacknowledged
   * to the group's other consumers at once, release resources.
   */
  close(): Promise<void>;
}

/** How much work a queue holds for a group (for metrics, backpressure and the scheduler). */
export interface QueueBacklog {
  /** Messages not yet delivered to the group. */
  readonly waiting: number;
  /** Messages delivered and not yet acknowledged (0 where the backend cannot tell, i.e. Kafka). */
  readonly inFlight: number;
  /**
   * Messages ever published to the queue: only grows, so two readings give the arrival rate
   * (the scheduler's signals). Kafka: the sum of the partitions' end offsets; Redis: the stream's
   * entries-added counter; 0 for a queue that does not exist yet.
   */
  readonly added: number;
}

export interface EnsureQueueOptions {
  /** Kafka partitions for a new topic; ignored by backends without partitions. */
  readonly partitions?: number;
}

/** One queue backend (a Redis server, a Kafka cluster, or process memory). */
export interface QueueBackend {
  readonly kind: 'memory' | 'redis' | 'kafka';
  /** Create the queue if it does not exist (a Kafka topic; a no-op where queues are implicit). */
  ensureQueue(queue: string, options?: EnsureQueueOptions): Promise<void>;
  /** Resolves once every message is durable. An empty list is a no-op. */
  publish(queue: string, messages: readonly OutboundMessage[]): Promise<void>;
  /** Starts a consumer; resolves once it has joined its group and is fetching. */
  consume(options: ConsumeOptions): Promise<QueueConsumer>;
  backlog(queue: string, group: string): Promise<QueueBacklog>;
  /** Rejects when the backend cannot be reached: the readiness check. */
  ping(): Promise<void>;
  /** Idempotent: closes every consumer started here, then the connections. */
  close(): Promise<void>;
}

/** An item waiting in a delayed set until its due time. */
export interface DelayedItem {
  /** Unique per item: scheduling an id again replaces the earlier entry (idempotent retries). */
  readonly id: string;
  readonly payload: string;
  readonly dueAtMs: number;
}

/**
 * A delayed set: items wait until their due time, then `promoteDue` moves them, oldest due
 * first, into the target queue as messages keyed by item id. The move is atomic per call, so
 * an item is never lost nor left in both places.
 */
export interface DelayedQueue {
  readonly name: string;
  readonly targetQueue: string;
  schedule(items: readonly DelayedItem[]): Promise<void>;
  /** Moves up to `limit` items due at `nowMs` or earlier; returns how many moved. */
  promoteDue(nowMs: number, limit: number): Promise<number>;
  /** Removes items by id; returns how many were there. */
  remove(ids: readonly string[]): Promise<number>;
  /**
   * Brings items forward: each listed item still waiting becomes due at `dueAtMs` unless it was
   * due earlier already (e.g. a cancelled request, to be finalised now). Returns how many moved.
   */
  expedite(ids: readonly string[], dueAtMs: number): Promise<number>;
  size(): Promise<number>;
  /** Items due at `atMs` or earlier: what the next promotions will move. */
  countDueBy(atMs: number): Promise<number>;
}

/** Backends that can hold delayed sets (Redis, memory; not Kafka). */
export interface DelayedQueueFactory {
  delayedQueue(name: string, targetQueue: string): DelayedQueue;
}

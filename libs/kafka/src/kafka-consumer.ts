import type { BaseOptions, Consumer, ConsumerGroupJoinPayload, Message, MessagesStream } from '@platformatic/kafka';
import { kafkaClientLibrary } from './client-library';
import { errorBackoffMs, resolveConsumeOptions, sleep, type ConsumeOptions, type Delivery, type QueueConsumer, type QueueLogger, type RepeatFilter } from '@parc/queue';
import { describeKafkaError, watchClient, type KafkaLogLevel } from './kafka-logging';

export interface KafkaConsumerSettings {
  readonly base: BaseOptions;
  /** Static membership (KIP-345): the same id after a restart takes the same partitions back at once. */
  readonly groupInstanceId?: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly fetchMaxWaitMs: number;
  readonly logger: QueueLogger;
  readonly logLevel: KafkaLogLevel;
  readonly repeats: RepeatFilter;
  /** One line for a failure (an authentication failure names where the credentials come from). */
  readonly describeFailure: (error: unknown) => string;
}

type Record = Message<string, string, string, string>;
type Stream = MessagesStream<string, string, string, string>;
type ResolvedOptions = ReturnType<typeof resolveConsumeOptions>;

/** How long a commit may take before the lane goes on (the next commit covers it: offsets only grow). */
const COMMIT_WAIT_MS = 10_000;
/** How often a refused close is tried again (see dropConsumer). */
const CLOSE_ATTEMPTS = 20;

/**
 * Starts a consumer-group member on one topic and returns at once: it connects, joins and
 * fetches in the background. A restarted process joins a group that may still hold its killed
 * predecessor until that member's session times out, and waiting for that inside a start-up
 * limit is what made stages crash-loop; a broker that is away is waited for the same way.
 */
export function startKafkaConsumer(options: ConsumeOptions, settings: KafkaConsumerSettings): QueueConsumer {
  const member = new GroupMember(resolveConsumeOptions(options), settings);
  const running = member.run();
  let closed: Promise<void> | undefined;
  return {
    queue: member.options.queue,
    group: member.options.group,
    get paused() {
      return member.paused;
    },
    pause: () => member.pause(),
    resume: () => member.resume(),
    close: () => {
      closed ??= member.close(running);
      return closed;
    },
  };
}

/**
 * One member. Records are read from the client's stream into one lane per partition; up to
 * `concurrency` handler calls run at once, each on a batch of one partition's oldest records, so
 * order holds per partition. A batch is committed (offset after its last record) only once its
 * handler resolved, i.e. once its output is durable; the partition's next batch does not wait for
 * that commit to land. A failed batch is retried in place with
 * back-off: nothing after it in its partition is handled or committed meanwhile. When the stream
 * fails (the broker away, a commit refused after a rebalance), what is buffered is dropped and a
 * new stream starts from the group's committed offsets.
 *
 * A rebalance keeps the read-ahead of the partitions this member still owns, and drops only that
 * of the partitions it lost. Dropping it all, to have it fetched again from the committed offsets,
 * lost records: the client lets a fetch that was under way when the group rebalanced land after it
 * has reset its positions to the committed offsets, and then goes on after that fetch, past what
 * was dropped; the next commit then covered records nobody handled (the responder lost callbacks
 * while the scheduler scaled it: bench/results/scaling-*). Records read again are skipped by offset.
 */
class GroupMember {
  paused = false;
  private readonly closing = new AbortController();
  private consumer: Consumer<string, string, string, string> | undefined;
  private stream: Stream | undefined;
  /** Bumped per stream: batches of an earlier stream are not retried and their lanes are gone. */
  private generation = 0;
  private readonly lanes = new Map<number, Record[]>();
  /** Per partition, the offset after the last record taken into its lane: what comes again below it is skipped. */
  private readonly nextOffsets = new Map<number, bigint>();
  /** The partitions of the topic this member owns since the last join; undefined before the first. */
  private owned: ReadonlySet<number> | undefined;
  private readonly busy = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Commits asked for and not yet answered; close waits for them before the member leaves. */
  private readonly commits = new Set<Promise<void>>();
  private buffered = 0;
  private failures = 0;
  private readonly maxBuffered: number;
  private streamEnded: (() => void) | undefined;

  constructor(
    readonly options: ResolvedOptions,
    private readonly settings: KafkaConsumerSettings,
  ) {
    // Enough to keep every handler slot fed with full batches, and no more: what is buffered is
    // fetched again after a rebalance.
    this.maxBuffered = Math.max(64, 2 * options.batchSize * options.concurrency);
  }

  /** Keeps a stream running until close(), starting a new one after every failure. */
  async run(): Promise<void> {
    const { signal } = this.closing;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const startedAt = Date.now();
        const stream = await this.startStream();
        this.settings.logger.info({ topic: this.options.queue, group: this.options.group, attempt, startMs: Date.now() - startedAt }, 'Kafka consumer fetching');
        if (signal.aborted) {
          await stream.close().catch(() => undefined);
          return;
        }
        await this.consumeUntilEnd(stream);
        attempt = 0; // it ran: the next failure starts the back-off again
      } catch (error) {
        if (signal.aborted) return;
        const detail = this.settings.describeFailure(error);
        const { log, held } = this.settings.repeats.admit(`consumer ${this.options.group} ${detail}`);
        if (log) this.settings.logger.warn({ topic: this.options.queue, group: this.options.group, attempt, ...(held > 0 ? { repeatsHeldBack: held } : {}) }, `Kafka consumer not running (${detail}); retrying`);
        // A consumer that could not even start a stream twice is replaced as a whole.
        if (attempt >= 2) await this.dropConsumer();
      }
      await sleep(errorBackoffMs(Math.max(1, attempt), 500, 5_000), signal);
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  async close(running: Promise<void>): Promise<void> {
    this.closing.abort();
    this.streamEnded?.();
    // Running handlers finish (and ask to commit) first, their commits land; then the stream
    // flushes and the member leaves.
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.commits]);
    await running.catch(() => undefined);
    await this.stream?.close().catch(() => undefined);
    await this.dropConsumer();
  }

  private async startStream(): Promise<Stream> {
    const { queue: topic } = this.options;
    this.consumer ??= await this.createConsumer();
    return await this.consumer.consume({
      topics: [topic],
      // From the group's committed offsets; a new group also gets what was published before it existed.
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
      maxWaitTime: this.settings.fetchMaxWaitMs,
      sessionTimeout: this.settings.sessionTimeoutMs,
      heartbeatInterval: this.settings.heartbeatIntervalMs,
      highWaterMark: this.maxBuffered,
      // The client's default (50 MiB per fetch) turns a backlog into hundreds of MB of records in
      // memory; a few MiB keep every handler fed (a larger record still comes, alone: KIP-74).
      maxBytes: 4 * 1024 * 1024,
      maxBytesPerPartition: 1024 * 1024,
    });
  }

  private async createConsumer(): Promise<Consumer<string, string, string, string>> {
    const { Consumer, stringDeserializers } = await kafkaClientLibrary();
    const { queue: topic, group } = this.options;
    const startedAt = Date.now();
    const consumer = watchClient(
      new Consumer({
        ...this.settings.base,
        groupId: group,
        ...(this.settings.groupInstanceId === undefined ? {} : { groupInstanceId: this.settings.groupInstanceId }),
        sessionTimeout: this.settings.sessionTimeoutMs,
        heartbeatInterval: this.settings.heartbeatIntervalMs,
        // How long the coordinator waits for members to rejoin in a rebalance (the client's default is 102 s).
        rebalanceTimeout: Math.max(20_000, 2 * this.settings.sessionTimeoutMs),
        maxWaitTime: this.settings.fetchMaxWaitMs,
        autocommit: false,
        deserializers: stringDeserializers,
        // Group operations (join, heartbeat, commit) keep retrying while the broker is away: a
        // member that gave up would rejoin as a new member and wait out its old self's session.
        retries: Number.MAX_SAFE_INTEGER,
      }),
      { logger: this.settings.logger, level: this.settings.logLevel, repeats: this.settings.repeats },
    );
    consumer.on('consumer:heartbeat:error', (payload: { error?: unknown }) => {
      const detail = describeKafkaError(payload.error);
      const { log, held } = this.settings.repeats.admit(`heartbeat ${group} ${detail}`);
      if (log) this.settings.logger.warn({ topic, group, ...(held > 0 ? { repeatsHeldBack: held } : {}) }, `Kafka consumer heartbeat failed (${detail}); rejoining`);
    });
    consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      const partitions = payload.assignments?.find((assignment) => assignment.topic === topic)?.partitions ?? [];
      this.keepOnly(new Set(partitions));
      this.settings.logger.info({ topic, group, partitions, sinceStartMs: Date.now() - startedAt }, `joined consumer group ${group}`);
    });
    return consumer;
  }

  /**
   * Leaves the group and closes the client's connections. The client refuses to leave while one of
   * its streams has not yet marked itself closed ("Cannot leave group while consuming messages"),
   * even when it closed them itself a moment before, and then stays open with its connections and
   * retry timers: so the close is tried again until it takes.
   */
  private async dropConsumer(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer === undefined) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.close(true);
        return;
      } catch (error) {
        if (attempt >= CLOSE_ATTEMPTS) {
          this.settings.logger.warn({ topic: this.options.queue, group: this.options.group, attempts: attempt }, `Kafka consumer did not close (${describeKafkaError(error)}); its connections stay open`);
          return;
        }
        await sleep(50 * attempt);
      }
    }
  }

  /** Feeds the lanes from `stream` until it ends, fails, or the member closes. */
  private consumeUntilEnd(stream: Stream): Promise<void> {
    this.stream = stream;
    this.generation++;
    this.clearLanes();
    return new Promise<void>((resolve, reject) => {
      const readable = (): void => this.pump();
      let finished = false;
      const finish = (error?: unknown): void => {
        if (finished) return;
        finished = true;
        stream.off('readable', readable);
        this.streamEnded = undefined;
        this.generation++; // batches in flight stop retrying; what is buffered is dropped
        this.clearLanes();
        void stream.close().catch(() => undefined);
        if (error === undefined || this.closing.signal.aborted) resolve();
        else reject(error instanceof Error ? error : new Error(describeKafkaError(error)));
      };
      this.streamEnded = () => finish();
      stream.on('readable', readable);
      stream.once('error', (error: Error) => finish(error));
      stream.once('close', () => finish());
      this.pump();
    });
  }

  /** Moves what the stream holds into the lanes (up to the buffer bound), then starts handlers. */
  private pump(): void {
    const stream = this.stream;
    if (stream === undefined || this.closing.signal.aborted) return;
    if (!this.paused) {
      while (this.buffered < this.maxBuffered) {
        const record = stream.read() as Record | null;
        if (record === null) break;
        // A partition this member no longer owns (a fetch that landed after the rebalance), or a
        // record read again (the client fetches from the committed offset after a rebalance).
        if (this.owned !== undefined && !this.owned.has(record.partition)) continue;
        const next = this.nextOffsets.get(record.partition);
        if (next !== undefined && record.offset < next) continue;
        this.nextOffsets.set(record.partition, record.offset + 1n);
        const lane = this.lanes.get(record.partition);
        if (lane === undefined) this.lanes.set(record.partition, [record]);
        else lane.push(record);
        this.buffered++;
      }
    }
    this.startHandlers();
  }

  private startHandlers(): void {
    for (const [partition, lane] of this.lanes) {
      if (this.paused || this.closing.signal.aborted || this.inFlight.size >= this.options.concurrency) return;
      if (lane.length === 0 || this.busy.has(partition)) continue;
      const batch = lane.splice(0, this.options.batchSize);
      this.busy.add(partition);
      const task = this.handle(batch, this.generation).finally(() => {
        this.inFlight.delete(task);
        this.busy.delete(partition);
        this.pump();
      });
      this.inFlight.add(task);
    }
  }

  private async handle(batch: readonly Record[], generation: number): Promise<void> {
    const deliveries = batch.map(toDelivery);
    const { signal } = this.closing;
    try {
      for (;;) {
        try {
          await this.options.handler(deliveries, { signal });
          this.failures = 0;
          break;
        } catch (error) {
          this.options.onError?.(error, deliveries);
          // Not acknowledged: after close or a new stream, the batch comes again from the committed offset.
          if (signal.aborted || generation !== this.generation) return;
          await sleep(errorBackoffMs(++this.failures), signal);
          if (signal.aborted || generation !== this.generation) return;
        }
      }
      // The lane goes on without waiting for the broker's answer: the output is durable, the
      // client merges the offsets asked for meanwhile into its next commit (one in flight per
      // stream, offsets only grow), and a commit that never lands only means the batch may come again.
      const commit = this.commit(batch[batch.length - 1] as Record).finally(() => this.commits.delete(commit));
      this.commits.add(commit);
    } finally {
      if (generation === this.generation) this.buffered = Math.max(0, this.buffered - batch.length);
    }
  }

  /** Commits the offset after `last`: a failure or a slow broker only means the batch may come again. */
  private async commit(last: Record): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        last.commit(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, COMMIT_WAIT_MS);
        }),
      ]);
    } catch (error) {
      this.settings.logger.debug({ err: error, topic: this.options.queue, group: this.options.group, partition: last.partition }, 'commit not accepted; the batch may be delivered again');
    } finally {
      clearTimeout(timer);
    }
  }

  /** A new stream fetches from the committed offsets: nothing read before counts. */
  private clearLanes(): void {
    this.lanes.clear();
    this.nextOffsets.clear();
    this.buffered = 0;
  }

  /** After a rebalance: the read-ahead of partitions still owned stays, that of the others goes (their new owner reads them from the committed offsets). */
  private keepOnly(owned: ReadonlySet<number>): void {
    this.owned = owned;
    for (const [partition, lane] of this.lanes) {
      if (owned.has(partition)) continue;
      this.buffered = Math.max(0, this.buffered - lane.length);
      this.lanes.delete(partition);
    }
    for (const partition of this.nextOffsets.keys()) if (!owned.has(partition)) this.nextOffsets.delete(partition);
  }
}

function toDelivery(record: Record): Delivery {
  const id = `${record.partition}:${record.offset}`;
  const payload = record.value ?? '';
  const key = record.key;
  return key === undefined || key === null ? { id, payload, deliveryCount: 1 } : { id, payload, key, deliveryCount: 1 };
}

import { Kafka, Partitioners, type Admin, type Producer } from 'kafkajs';
import { ParcError } from '@parc/errors';
import { errorBackoffMs, RepeatFilter, silentLogger, sleep, type ConsumeOptions, type EnsureQueueOptions, type OutboundMessage, type QueueBackend, type QueueBacklog, type QueueConsumer, type QueueLogger } from '@parc/queue';
import { KAFKA_LOG_LEVELS, kafkaLogCreator, type KafkaLogLevel } from './kafka-logging';
import { startKafkaConsumer } from './kafka-consumer';
import { noDelaySocketFactory } from './socket';

export interface KafkaBackendOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger?: QueueLogger;
  /** kafkajs's own verbosity (default warn). */
  readonly clientLogLevel?: KafkaLogLevel;
  /**
   * A consumer that stops heartbeating this long (a killed process) loses its partitions; until
   * then they wait, and so does a restarted process's join (default 10 s; the broker allows
   * group.min.session.timeout.ms to group.max.session.timeout.ms, 6 s to 30 min by default).
   */
  readonly sessionTimeoutMs?: number;
  /** Default: a tenth of the session timeout, at least 500 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Longest a fetch waits at the broker when there is nothing new (default 500 ms). */
  readonly fetchMaxWaitMs?: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Payload bytes per produce request; a publish is split into requests of at most this (default 512 KiB). */
  readonly maxRequestBytes?: number;
  /** `max.message.bytes` of topics this backend creates: the largest record batch (default 16 MiB). */
  readonly maxMessageBytes?: number;
}

/** Splits messages into runs whose payload bytes stay within `budget` (a larger message goes alone). */
export function chunkByBytes<T extends { readonly payload: string }>(messages: readonly T[], budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.payload);
    if (current.length > 0 && bytes + size > budget) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Queues as Kafka topics (kafkajs). Publishing waits for all in-sync replicas (`acks: -1`);
 * consumers commit offsets only after their handler resolved. kafkajs is imported here and
 * nowhere else, so the client can be swapped behind the queue port.
 */
export class KafkaBackend implements QueueBackend {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly consumerKafka: Kafka;
  private readonly consumers = new Set<QueueConsumer>();
  private producer: Promise<Producer> | undefined;
  private admin: Promise<Admin> | undefined;
  private closed: Promise<void> | undefined;
  private readonly logger: QueueLogger;
  /** Topics known to exist (they are never deleted while Parc runs): backlog() asks only once. */
  private readonly existingTopics = new Set<string>();
  private readonly maxRequestBytes: number;
  private readonly maxMessageBytes: number;

  constructor(private readonly options: KafkaBackendOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxRequestBytes = options.maxRequestBytes ?? 512 * 1024;
    this.maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
    const client = (retries: number): Kafka =>
      new Kafka({
        clientId: options.clientId,
        brokers: [...options.brokers],
        connectionTimeout: options.connectionTimeoutMs ?? 3_000,
        requestTimeout: options.requestTimeoutMs ?? 30_000,
        logLevel: KAFKA_LOG_LEVELS[options.clientLogLevel ?? 'warn'],
        logCreator: kafkaLogCreator(this.logger, repeats),
        socketFactory: noDelaySocketFactory,
        // kafkajs's default backs off to 30 s between attempts: after a broker restart a client
        // could sit out half a minute. Capped at 2 s, a returning broker is seen within 2 s.
        retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries },
      });
    const repeats = new RepeatFilter();
    // Producer and admin: about 15 s of attempts, then the operation fails and its caller retries
    // it (a batch is tried again; a start-up step backs off), and shutdown is never stuck behind it.
    this.kafka = client(10);
    // Consumers never give up on the broker: a member that did would rejoin as a new member and
    // wait, after the broker's return, for its old self's session to expire (see kafka-consumer).
    this.consumerKafka = client(Number.MAX_SAFE_INTEGER);
  }

  async ensureQueue(topic: string, options: EnsureQueueOptions = {}): Promise<void> {
    const admin = await this.connectedAdmin();
    // Asking first keeps the broker from logging "topic already exists" on every start.
    const existing = await this.unavailableOnError('list topics', () => admin.listTopics());
    let createError: unknown;
    if (!existing.includes(topic)) {
      try {
        await admin.createTopics({
          topics: [{ topic, numPartitions: options.partitions ?? 1, configEntries: [{ name: 'max.message.bytes', value: String(this.maxMessageBytes) }] }],
          waitForLeaders: true,
        });
      } catch (error) {
        // Several services create the same topics when they start together: whoever loses the
        // race sees an error although the topic now exists.
        createError = error;
      }
    }
    // A topic another service has just created may not have its leaders yet; a consumer
    // subscribing before then fails. Waiting here makes ensureQueue mean "ready to use".
    await this.awaitTopicLeaders(admin, topic, createError);
  }

  /** Runs `attempt` again while it fails with an error kafkajs marks retriable (metadata settling), up to ~30 s. */
  private async withRetries<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (let failures = 1; ; failures++) {
      try {
        return await attempt();
      } catch (error) {
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (!retriable || Date.now() > deadline) {
          const detail = error instanceof Error ? error.message : String(error);
          throw new ParcError('QUEUE_UNAVAILABLE', `Kafka (${this.options.brokers.join(',')}) could not ${operation}: ${detail}`, { cause: error });
        }
        this.logger.debug({ err: error, operation }, 'kafka not ready yet; retrying');
        await sleep(errorBackoffMs(failures, 200, 2_000));
      }
    }
  }

  private async awaitTopicLeaders(admin: Admin, topic: string, cause: unknown): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const partitions = metadata?.topics[0]?.partitions ?? [];
      if (partitions.length > 0 && partitions.every((partition) => partition.leader >= 0)) return;
      await sleep(errorBackoffMs(attempt, 100, 1_000));
    }
    const detail = cause === undefined ? 'its partitions have no leader' : cause instanceof Error ? cause.message : String(cause);
    throw new ParcError('QUEUE_UNAVAILABLE', `Kafka (${this.options.brokers.join(',')}) could not make topic ${topic} ready: ${detail}`, { cause });
  }

  async publish(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    const producer = await this.connectedProducer();
    // A record batch over the broker's limit is refused whole, and would be refused again on
    // every redelivery: send in requests of at most maxRequestBytes (one message may exceed it).
    for (const chunk of chunkByBytes(messages, this.maxRequestBytes)) {
      await this.unavailableOnError(`publish to ${topic}`, () =>
        producer.send({
          topic,
          acks: -1,
          messages: chunk.map((message) => ({ key: message.key ?? null, value: message.payload })),
        }),
      );
    }
  }

  /** Resolves once the consumer is connected and subscribed; it joins its group in the background. */
  async consume(options: ConsumeOptions): Promise<QueueConsumer> {
    this.assertOpen();
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? 10_000;
    const consumer = await this.unavailableOnError(`start a consumer of ${options.queue}`, () => startKafkaConsumer(this.consumerKafka, options, {
      sessionTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? Math.max(500, Math.floor(sessionTimeoutMs / 10)),
      fetchMaxWaitMs: this.options.fetchMaxWaitMs ?? 500,
      logger: this.logger,
    }));
    this.consumers.add(consumer);
    return {
      ...consumer,
      get paused() {
        return consumer.paused;
      },
      close: async () => {
        await consumer.close();
        this.consumers.delete(consumer);
      },
    };
  }

  /** Consumer lag: per partition, the end offset minus the group's committed offset, summed. */
  async backlog(topic: string, group: string): Promise<QueueBacklog> {
    const admin = await this.connectedAdmin();
    // A topic nobody created yet holds nothing, as a Redis stream that does not exist. Asked
    // first, not caught after: kafkajs keeps every topic it was asked about in the metadata it
    // refreshes, and one missing topic there fails every later offset request of this client.
    if (!this.existingTopics.has(topic)) {
      const topics = await this.unavailableOnError('list topics', () => admin.listTopics());
      if (!topics.includes(topic)) return { waiting: 0, inFlight: 0, added: 0 };
      this.existingTopics.add(topic);
    }
    // Retriable errors (a coordinator still loading, metadata not yet updated) are retried.
    const offsets = await this.withRetries(`read offsets of ${topic}`, () =>
      Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]),
    );
    const [ends, committed] = offsets;
    const committedByPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
    let waiting = 0n;
    let added = 0n;
    for (const { partition, high, low } of ends) {
      added += BigInt(high);
      const position = committedByPartition.get(partition) ?? -1n;
      // -1: the group never committed here, so everything still retained is waiting.
      const from = position < 0n ? BigInt(low) : position;
      if (BigInt(high) > from) waiting += BigInt(high) - from;
    }
    return { waiting: Number(waiting), inFlight: 0, added: Number(added) };
  }

  async ping(): Promise<void> {
    const admin = await this.connectedAdmin();
    await this.unavailableOnError('describe the cluster', () => admin.describeCluster());
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
      const clients = await Promise.allSettled([this.producer, this.admin].filter((client) => client !== undefined));
      await Promise.allSettled(clients.map((client) => (client.status === 'fulfilled' ? client.value.disconnect() : undefined)));
    })();
    return this.closed;
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= this.connectClient('connect the producer', () =>
      this.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner }),
    );
    return this.producer.catch((error: unknown) => {
      this.producer = undefined; // the next call tries again
      throw error;
    });
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= this.connectClient('connect the admin client', () => this.kafka.admin());
    return this.admin.catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
  }

  private async connectClient<T extends { connect(): Promise<void> }>(operation: string, create: () => T): Promise<T> {
    this.assertOpen();
    const client = create();
    await this.unavailableOnError(operation, () => client.connect());
    return client;
  }

  private async unavailableOnError<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new ParcError('QUEUE_UNAVAILABLE', `Kafka (${this.options.brokers.join(',')}) could not ${operation}: ${detail}`, { cause: error });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ParcError('QUEUE_CLOSED', 'The Kafka queue backend was used after close().');
  }
}

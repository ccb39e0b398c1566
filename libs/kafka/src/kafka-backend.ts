import type { Admin, BaseOptions, Producer } from '@platformatic/kafka';
import { ParcError } from '@parc/errors';
import { errorBackoffMs, RepeatFilter, silentLogger, sleep, type ConsumeOptions, type EnsureQueueOptions, type OutboundMessage, type QueueBackend, type QueueBacklog, type QueueConsumer, type QueueLogger } from '@parc/queue';
import { startKafkaConsumer } from './kafka-consumer';
import { kafkaClientLibrary } from './client-library';
import { describeKafkaError, isAuthenticationFailure, watchClient, type ClientLogSettings, type KafkaLogLevel } from './kafka-logging';
import type { KafkaSaslOptions, KafkaTlsOptions } from './security';

export interface KafkaBackendOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger?: QueueLogger;
  /** How much of the client's own events (connections, group joins) reaches the log (default warn). */
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
  /** TLS to the brokers (a managed Kafka); off when absent. */
  readonly tls?: KafkaTlsOptions;
  /** SASL authentication; none when absent. */
  readonly sasl?: KafkaSaslOptions;
  /**
   * This process's stable name (INSTANCE_ID): its consumers join as static members
   * (`group.instance.id`, KIP-345), so a restarted process takes its partitions back at once
   * instead of waiting out its killed predecessor's session. Absent: dynamic members.
   */
  readonly instanceId?: string;
  /** Appended to an authentication failure: where the credentials come from (e.g. the variables to check). */
  readonly credentialsHint?: string;
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

/** The client's connection options for TLS and SASL. */
function clientSecurity(options: Pick<KafkaBackendOptions, 'tls' | 'sasl'>): Pick<BaseOptions, 'tls' | 'tlsServerName' | 'sasl'> {
  const { tls, sasl } = options;
  return {
    ...(tls === undefined
      ? {}
      : {
          tls: {
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            ...(tls.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls.key === undefined ? {} : { key: tls.key }),
            rejectUnauthorized: tls.rejectUnauthorized ?? true,
          },
          // Without a name, Node checks the certificate against the broker's host (SNI is not sent for
          // an IP address, which Node would warn about).
          ...(tls.servername === undefined ? {} : { tlsServerName: tls.servername }),
        }),
    ...(sasl === undefined ? {} : { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } }),
  };
}

/** Retries of one producer or admin operation: about 15 s, then its caller retries it (a batch is tried again). */
const OPERATION_RETRIES = 10;
const retryDelay = (_client: unknown, _operation: string, attempt: number): number => errorBackoffMs(attempt, 200, 2_000);

/**
 * Queues as Kafka topics, on `@platformatic/kafka` (chosen over kafkajs by bench/kafka-clients).
 * Publishing waits for all in-sync replicas (acks -1); consumers commit offsets only after their
 * handler resolved. The client is loaded by client-library.ts, on first use, and used here and in
 * kafka-consumer.ts only, so it can be swapped behind the queue port.
 */
export class KafkaBackend implements QueueBackend {
  readonly kind = 'kafka' as const;
  private readonly consumers = new Set<QueueConsumer>();
  /** Consumers started per group and topic: the n-th gets the same static member id after a restart. */
  private readonly started = new Map<string, number>();
  private producer: Producer<string, string, string, string> | undefined;
  private admin: Admin | undefined;
  private closed: Promise<void> | undefined;
  private readonly logger: QueueLogger;
  private readonly repeats = new RepeatFilter();
  /** Topics known to exist (they are never deleted while Parc runs): backlog() asks only once. */
  private readonly partitionCounts = new Map<string, number>();
  private readonly maxRequestBytes: number;
  private readonly maxMessageBytes: number;
  private readonly base: BaseOptions;

  constructor(private readonly options: KafkaBackendOptions) {
    this.logger = options.logger ?? silentLogger;
    this.maxRequestBytes = options.maxRequestBytes ?? 512 * 1024;
    this.maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
    this.base = {
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      connectTimeout: options.connectionTimeoutMs ?? 3_000,
      timeout: options.requestTimeoutMs ?? 30_000,
      retries: OPERATION_RETRIES,
      retryDelay,
      ...clientSecurity(options),
    };
  }

  async ensureQueue(topic: string, options: EnsureQueueOptions = {}): Promise<void> {
    const admin = await this.connectedAdmin();
    // Asking first keeps the broker from logging "topic already exists" on every start.
    const existing = await this.unavailableOnError('list topics', () => admin.listTopics());
    let createError: unknown;
    if (!existing.includes(topic)) {
      try {
        await admin.createTopics({
          topics: [topic],
          partitions: options.partitions ?? 1,
          replicas: -1, // the broker's default.replication.factor
          configs: [{ name: 'max.message.bytes', value: String(this.maxMessageBytes) }],
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

  private async awaitTopicLeaders(admin: Admin, topic: string, cause: unknown): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const partitions = metadata?.topics.get(topic)?.partitions ?? [];
      if (partitions.length > 0 && partitions.every((partition) => partition.leader >= 0)) {
        this.partitionCounts.set(topic, partitions.length);
        return;
      }
      await sleep(errorBackoffMs(attempt, 100, 1_000));
    }
    this.throwIfAuthentication(cause);
    const detail = cause === undefined ? 'its partitions have no leader' : describeKafkaError(cause);
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
          messages: chunk.map((message) => (message.key === undefined ? { topic, value: message.payload } : { topic, key: message.key, value: message.payload })),
        }),
      );
    }
  }

  /** Resolves at once; the consumer connects and joins its group in the background (see kafka-consumer). */
  async consume(options: ConsumeOptions): Promise<QueueConsumer> {
    this.assertOpen();
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? 10_000;
    const slot = `${options.group}|${options.queue}`;
    const nth = (this.started.get(slot) ?? 0) + 1;
    this.started.set(slot, nth);
    const groupInstanceId = this.options.instanceId === undefined ? undefined : `${this.options.instanceId}|${options.queue}|${nth}`;
    const consumer = startKafkaConsumer(options, {
      base: this.base,
      ...(groupInstanceId === undefined ? {} : { groupInstanceId }),
      sessionTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? Math.max(500, Math.floor(sessionTimeoutMs / 10)),
      fetchMaxWaitMs: this.options.fetchMaxWaitMs ?? 500,
      logger: this.logger,
      logLevel: this.options.clientLogLevel ?? 'warn',
      repeats: this.repeats,
      describeFailure: (error) => this.failureDetail(error),
    });
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
    const { ListOffsetTimestamps } = await kafkaClientLibrary();
    let partitions = this.partitionCounts.get(topic);
    if (partitions === undefined) {
      // A topic nobody created yet holds nothing, as a Redis stream that does not exist.
      const topics = await this.unavailableOnError('list topics', () => admin.listTopics());
      if (!topics.includes(topic)) return { waiting: 0, inFlight: 0, added: 0 };
      const metadata = await this.unavailableOnError(`read the metadata of ${topic}`, () => admin.metadata({ topics: [topic] }));
      partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
      if (partitions === 0) return { waiting: 0, inFlight: 0, added: 0 };
      this.partitionCounts.set(topic, partitions);
    }
    const indexes = Array.from({ length: partitions }, (_, index) => index);
    const offsetsAt = (timestamp: bigint) =>
      admin.listOffsets({ topics: [{ name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp })) }] });
    const [ends, starts, committed] = await this.unavailableOnError(`read offsets of ${topic}`, () =>
      Promise.all([
        offsetsAt(ListOffsetTimestamps.LATEST),
        offsetsAt(ListOffsetTimestamps.EARLIEST),
        admin.listConsumerGroupOffsets({ groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: indexes }] }] }),
      ]),
    );
    const startOf = new Map(starts[0]?.partitions.map((p) => [p.partitionIndex, p.offset]) ?? []);
    const committedOf = new Map(committed[0]?.topics.find((t) => t.name === topic)?.partitions.map((p) => [p.partitionIndex, p.committedOffset]) ?? []);
    let waiting = 0n;
    let added = 0n;
    for (const { partitionIndex, offset: high } of ends[0]?.partitions ?? []) {
      added += high;
      const position = committedOf.get(partitionIndex) ?? -1n;
      // -1: the group never committed here, so everything still retained is waiting.
      const from = position < 0n ? (startOf.get(partitionIndex) ?? 0n) : position;
      if (high > from) waiting += high - from;
    }
    return { waiting: Number(waiting), inFlight: 0, added: Number(added) };
  }

  async ping(): Promise<void> {
    const admin = await this.connectedAdmin();
    await this.unavailableOnError('read the cluster metadata', () => admin.metadata({ topics: [], forceUpdate: true }));
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
      await Promise.allSettled([this.producer?.close(), this.admin?.close()]);
    })();
    return this.closed;
  }

  private async connectedProducer(): Promise<Producer<string, string, string, string>> {
    const { Producer, ProduceAcks, stringSerializers } = await kafkaClientLibrary();
    // Checked after the wait: a backend closed meanwhile must not open a client nobody closes.
    this.assertOpen();
    this.producer ??= watchClient(new Producer({ ...this.base, acks: ProduceAcks.ALL, autocreateTopics: false, serializers: stringSerializers }), this.clientLog());
    return this.producer;
  }

  private async connectedAdmin(): Promise<Admin> {
    this.assertOpen();
    const { Admin } = await kafkaClientLibrary();
    this.assertOpen();
    this.admin ??= watchClient(new Admin(this.base), this.clientLog());
    return this.admin;
  }

  /** How the producer's and the admin's own events reach the log. */
  private clientLog(): ClientLogSettings {
    return { logger: this.logger, level: this.options.clientLogLevel ?? 'warn', repeats: this.repeats };
  }

  private async unavailableOnError<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.throwIfAuthentication(error);
      throw new ParcError('QUEUE_UNAVAILABLE', `Kafka (${this.options.brokers.join(',')}) could not ${operation}: ${describeKafkaError(error)}`, { cause: error });
    }
  }

  private failureDetail(error: unknown): string {
    return isAuthenticationFailure(error) ? this.authenticationMessage() : describeKafkaError(error);
  }

  private authenticationMessage(): string {
    const { sasl, credentialsHint } = this.options;
    const who = sasl === undefined ? 'the client (no SASL configured)' : `user "${sasl.username}" (SASL ${sasl.mechanism})`;
    return `Kafka (${this.options.brokers.join(',')}) refused the credentials of ${who}${credentialsHint === undefined ? '' : `: ${credentialsHint}`}`;
  }

  private throwIfAuthentication(error: unknown): void {
    if (isAuthenticationFailure(error)) throw new ParcError('QUEUE_AUTH_FAILED', this.authenticationMessage(), { cause: error });
  }

  private assertOpen(): void {
    if (this.closed) throw new ParcError('QUEUE_CLOSED', 'The Kafka queue backend was used after close().');
  }
}

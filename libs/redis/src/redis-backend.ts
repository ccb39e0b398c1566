import { Redis, type RedisOptions } from 'ioredis';
import { ParcError } from '@parc/errors';
import {
  RepeatFilter,
  silentLogger,
  startPollingConsumer,
  uniqueConsumerName,
  type ConsumeOptions,
  type DelayedQueue,
  type DelayedQueueFactory,
  type OutboundMessage,
  type PollingConsumer,
  type QueueBackend,
  type QueueBacklog,
  type QueueLogger,
} from '@parc/queue';
import { RedisStreamSource } from './redis-stream-source';
import { RedisDelayedQueue } from './redis-delayed-queue';
import { entryFields } from './stream-entries';
import { RedisLedger, type RedisLedgerOptions } from './redis-ledger';
import { RedisIdempotencyStore } from './redis-idempotency';
import { RedisDeadLetterStore } from './redis-dead-letters';
import { RedisDecisionLog } from './redis-decision-log';
import { RedisParcRegistry } from './redis-parc-registry';
import { RedisDestinationGate, type RedisDestinationGateOptions } from './redis-destination-gate';

export interface RedisBackendOptions {
  /** `redis://[user:password@]host:port[/db]` */
  readonly url: string;
  /** Shows in CLIENT LIST, e.g. the service name. */
  readonly connectionName?: string;
  /** A delivered batch stays with its consumer this long without renewal (default 30 s). */
  readonly leaseMs?: number;
  /** Longest a consumer's XREADGROUP blocks before looking again (default 1 s). */
  readonly blockMs?: number;
  /**
   * How often consumers look for entries to take over: expired leases, and entries a closing
   * consumer handed back (default: half the lease, 1 s at most, so a hand-back reaches the others
   * within about a second; one XAUTOCLAIM per consumer and interval).
   */
  readonly reclaimIntervalMs?: number;
  /** Idle consumers with nothing pending are dropped from their group after this (default 1 h). */
  readonly staleConsumerMs?: number;
  /**
   * This instance's name, the same across its restarts and different from every other running
   * instance (e.g. pod name, or host and port). When set, consumers are named by it, and a
   * restarted instance takes back at once what it held when it died, instead of waiting out the
   * lease; when absent, names are unique per process and leases alone bring messages back.
   */
  readonly instanceId?: string;
  readonly logger?: QueueLogger;
  /** Prefix of the stores' keys (ledger, idempotency, dead letters); default `parc`. */
  readonly keyPrefix?: string;
  /** Extra ioredis options (tests, TLS). */
  readonly redisOptions?: RedisOptions;
}

/**
 * The longest default pause between two reclaim passes of a consumer. A closing consumer hands
 * back what it will not handle by making it idle past any lease (hand-back-1), and nothing tells
 * the others: they find it at their next pass. Half a 15 s lease would leave handed-back work
 * waiting up to 7.5 s; a pass a second costs one XAUTOCLAIM per consumer per second, as cheap as
 * the blocking read each idle consumer already issues every second.
 */
const MAX_RECLAIM_INTERVAL_MS = 1_000;

/**
 * Queues as Redis streams with consumer groups (XREADGROUP / XACK, XAUTOCLAIM after a lease),
 * and delayed sets as sorted sets moved by a Lua script. Requires Redis >= 7.0.
 * Key names are the caller's; put a `{hash tag}` in related names for Redis Cluster.
 */
export class RedisBackend implements QueueBackend, DelayedQueueFactory {
  readonly kind = 'redis' as const;
  private readonly commands: Redis;
  private readonly consumers = new Set<PollingConsumer>();
  private readonly logger: QueueLogger;
  private readonly leaseMs: number;
  private readonly prefix: string;
  private closed: Promise<void> | undefined;
  private readonly connectionErrors = new RepeatFilter();
  /** The numbers of the open consumers per stream and group: an instance's consumers are #1, #2, … on every start. */
  private readonly consumerNumbers = new Map<string, Set<number>>();

  constructor(private readonly options: RedisBackendOptions) {
    this.logger = options.logger ?? silentLogger;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.prefix = options.keyPrefix ?? 'parc';
    // Auto-pipelining sends commands issued in the same tick as one write: free batching.
    this.commands = this.connect({ enableAutoPipelining: true });
  }

  async ensureQueue(): Promise<void> {
    // Streams come into being with their first entry or group; nothing to create ahead.
  }

  async publish(queue: string, messages: readonly OutboundMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    const pipeline = this.commands.pipeline();
    for (const message of messages) pipeline.xadd(queue, '*', ...entryFields(message.payload, message.key));
    const results = await this.unavailableOnError(`publish to ${queue}`, () => pipeline.exec());
    const failure = results?.find(([error]) => error)?.[0];
    if (failure) throw this.unavailable(`publish to ${queue}`, failure);
  }

  async consume(options: ConsumeOptions): Promise<PollingConsumer> {
    this.assertOpen();
    await this.ensureGroup(options.queue, options.group);
    const { name: consumerName, release: releaseName } = this.consumerName(options.queue, options.group);
    const blocking = this.connect({ connectionName: `${this.options.connectionName ?? 'parc'}:${options.queue}` });
    const source = new RedisStreamSource(this.commands, blocking, {
      stream: options.queue,
      group: options.group,
      consumer: consumerName,
      leaseMs: this.leaseMs,
      blockMs: this.options.blockMs ?? 1_000,
      reclaimIntervalMs: this.options.reclaimIntervalMs ?? Math.max(100, Math.min(MAX_RECLAIM_INTERVAL_MS, Math.floor(this.leaseMs / 2))),
      staleConsumerMs: this.options.staleConsumerMs ?? 3_600_000,
      adoptsPending: this.options.instanceId !== undefined,
      logger: this.logger,
    });
    const consumer = startPollingConsumer(source, options, {
      leaseMs: this.leaseMs,
      onClosed: () => {
        this.consumers.delete(consumer);
        releaseName();
      },
    });
    this.consumers.add(consumer);
    return consumer;
  }

  async backlog(queue: string, group: string): Promise<QueueBacklog> {
    const [[lengthError, length], [pendingError, summary], [infoError, info]] = (await this.commands
      .pipeline()
      .xlen(queue)
      .xpending(queue, group)
      .xinfo('STREAM', queue)
      .exec()) as [[Error | null, number], [Error | null, [number, ...unknown[]] | null], [Error | null, unknown[] | null]];
    if (lengthError) throw this.unavailable(`read the length of ${queue}`, lengthError);
    // A group that does not exist yet has nothing in flight; everything in the stream waits.
    const inFlight = pendingError || !summary ? 0 : Number(summary[0]);
    // XINFO fails for a stream that does not exist yet: nothing was ever added.
    return { waiting: Math.max(0, length - inFlight), inFlight, added: infoError || !info ? 0 : entriesAdded(info, length) };
  }

  async ping(): Promise<void> {
    await this.unavailableOnError('ping', () => this.commands.ping());
  }

  delayedQueue(name: string, targetQueue: string): DelayedQueue {
    return new RedisDelayedQueue(this.commands, name, targetQueue);
  }

  /** The request ledger on this Redis (the proxy's). */
  ledger(options: RedisLedgerOptions = {}): RedisLedger {
    return new RedisLedger(this.commands, { prefix: this.prefix, ...options });
  }

  idempotency(): RedisIdempotencyStore {
    return new RedisIdempotencyStore(this.commands, this.prefix);
  }

  /** The scheduler's decision log on this Redis (the proxy's). */
  decisionLog(): RedisDecisionLog {
    return new RedisDecisionLog(this.commands, this.prefix);
  }

  /** The record of the Parcs on this Redis (the proxy's). */
  parcRegistry(): RedisParcRegistry {
    return new RedisParcRegistry(this.commands, this.prefix);
  }

  /** The destination gate on this Redis (the proxy's: shared by every caller of every Parc). */
  destinationGate(options: Omit<RedisDestinationGateOptions, 'prefix'> = {}): RedisDestinationGate {
    return new RedisDestinationGate(this.commands, { prefix: this.prefix, ...options });
  }

  deadLetters(): RedisDeadLetterStore {
    return new RedisDeadLetterStore(this.commands, this.prefix);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
      await this.commands.quit().catch(() => this.commands.disconnect());
    })();
    return this.closed;
  }

  /** This consumer's name: unique per process, or the instance's own, numbered lowest-free-first. */
  private consumerName(stream: string, group: string): { name: string; release: () => void } {
    const prefix = this.options.connectionName ?? 'c';
    if (this.options.instanceId === undefined) return { name: uniqueConsumerName(prefix), release: () => undefined };
    const key = `${stream}\n${group}`;
    const taken = this.consumerNumbers.get(key) ?? new Set<number>();
    this.consumerNumbers.set(key, taken);
    let n = 1;
    while (taken.has(n)) n++;
    taken.add(n);
    return { name: `${prefix}@${this.options.instanceId}#${n}`, release: () => taken.delete(n) };
  }

  private async ensureGroup(stream: string, group: string): Promise<void> {
    try {
      // Id 0: a new group also gets what was published before it existed.
      await this.commands.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw this.unavailable(`create group ${group} on ${stream}`, error);
    }
  }

  private connect(extra: RedisOptions): Redis {
    const client = new Redis(this.options.url, {
      connectionName: this.options.connectionName,
      // ioredis keeps a closed socket's 2 s destroy timer running after quit(), which holds a
      // finished process open for 2 s; nothing is left to flush by then.
      disconnectTimeout: 50,
      ...this.options.redisOptions,
      ...extra,
    });
    // ioredis reconnects by itself; a Redis that is down would log this every attempt.
    client.on('error', (error: Error) => {
      const { log, held } = this.connectionErrors.admit(error.message);
      if (log) this.logger.warn({ err: error, ...(held > 0 ? { repeatsHeldBack: held } : {}) }, `redis connection error (reconnecting): ${error.message}`);
    });
    return client;
  }

  private async unavailableOnError<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.unavailable(operation, error);
    }
  }

  private unavailable(operation: string, cause: unknown): ParcError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new ParcError('QUEUE_UNAVAILABLE', `Redis could not ${operation}: ${detail}`, { cause });
  }

  private assertOpen(): void {
    if (this.closed) throw new ParcError('QUEUE_CLOSED', 'The Redis queue backend was used after close().');
  }
}

/** The stream's entries-added counter from an XINFO STREAM reply (Redis 7+; older: its length). */
function entriesAdded(info: readonly unknown[], length: number): number {
  const index = info.indexOf('entries-added');
  return index >= 0 ? Number(info[index + 1]) : length;
}

/**
 * What the driver (main.ts), the worker processes (worker.ts) and the client adapters
 * (clients/*.ts) share: the clients, the work every client does, and what a run reports.
 */
import type { Percentiles } from '../src/results';

export const CLIENTS = ['kafkajs', '@platformatic/kafka'] as const;
export type ClientName = (typeof CLIENTS)[number];

/** The same for every client, so that only the client differs. */
export const WORK = {
  partitions: 4,
  valueBytes: 1024,
  keyChars: 26,
  /** Records per send() in the max-rate run, and how many sends may be in flight at once. */
  sendBatch: 500,
  sendsInFlight: 4,
  /** The paced run sends one batch per tick: 10 ms at 1,000/s is 10 records per send(). */
  pacedTickMs: 10,
  /** How long an idle fetch waits at the broker (Parc's kafkajs setting, fetchMaxWaitMs). */
  fetchMaxWaitMs: 500,
  /** Parc's defaults for its consumers. */
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  /** kafkajs's defaults, given to both clients (@platformatic/kafka's default is 50 MB for both). */
  fetchMaxBytes: 10 * 1024 * 1024,
  fetchMaxBytesPerPartition: 1024 * 1024,
} as const;

/** One record as the bench hands it to a client: a string key and a 1 KB value. */
export interface OutgoingRecord {
  readonly key: string;
  readonly value: Buffer;
}

/** One consumed record as the adapter hands it to the bench. */
export interface ConsumedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: Buffer;
}

/**
 * A client as the bench drives it: a producer sending with acks = all, and one consumer-group
 * member that reads from the beginning and commits the offset after each fetched batch once the
 * batch is handled, as Parc's consumers do.
 */
export interface ClientUnderTest {
  readonly name: ClientName;
  /** The settings the adapter chose, for the report. */
  readonly settings: Readonly<Record<string, string>>;
  /**
   * Counts of what should not happen in a steady run (a rejoin, a rebalance, a heartbeat or
   * commit error, a lost connection), kept up to date by the adapter, which also logs each one.
   */
  readonly incidents: Readonly<Record<string, number>>;
  /** Creates `topic` with `partitions` partitions and resolves once each has a leader. */
  createTopic(topic: string, partitions: number): Promise<void>;
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Starts a group member on `topic` and resolves once it owns all `partitions`. `handle` gets
   * the records of each fetched batch; the batch's offsets are committed after it returns, and
   * the next batch is handled only after that commit was acknowledged. A failure of the member
   * (a crash, a refused commit) is reported through `onError`.
   */
  consume(topic: string, group: string, partitions: number, handle: (records: readonly ConsumedRecord[]) => void, onError: (error: unknown) => void): Promise<void>;
  close(): Promise<void>;
}

/** What one worker process is asked to do (argv[2] of worker.ts, as JSON). */
export type Job =
  | { readonly kind: 'max-rate'; readonly client: ClientName; readonly brokers: string; readonly brokerPid?: number; readonly topic: string; readonly records: number }
  | {
      readonly kind: 'paced';
      readonly client: ClientName;
      readonly brokers: string;
      readonly brokerPid?: number;
      readonly topic: string;
      readonly ratePerSecond: number;
      readonly warmUpMs: number;
      readonly measureMs: number;
    }
  | { readonly kind: 'idle'; readonly client: ClientName; readonly brokers: string; readonly brokerPid?: number; readonly topic: string; readonly measureMs: number };

/** CPU over a run's measured window, in ms (user + system); `broker` is absent for a broker from KAFKA_BROKERS. */
export interface CpuUse {
  readonly clientMs: number;
  readonly brokerMs?: number;
}

export interface MaxRateResult {
  readonly kind: 'max-rate';
  readonly client: ClientName;
  readonly records: number;
  /** From the first send() to the last record consumed. */
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** From the first send() to the last send() acknowledged: the producer's share of the run. */
  readonly produceSeconds: number;
  readonly cpu: CpuUse;
  readonly duplicates: Duplicates;
  readonly incidents: Readonly<Record<string, number>>;
}

/**
 * Records handled more than once: `produced` = the same record at two offsets (the producer
 * wrote it twice: a retried send), `redelivered` = an offset handed to the handler again.
 */
export interface Duplicates {
  readonly produced: number;
  readonly redelivered: number;
}

export interface PacedResult {
  readonly kind: 'paced';
  readonly client: ClientName;
  readonly ratePerSecond: number;
  /** Records sent in the measured window (their latencies are the sample). */
  readonly records: number;
  /** Hop latency (send() called → record handed to the consumer's handler), ms. */
  readonly latencyMs: Percentiles;
  readonly cpu: CpuUse;
  readonly duplicates: Duplicates;
  /** Records of the measured window never consumed (within 15 s after the window). */
  readonly missing: number;
  readonly incidents: Readonly<Record<string, number>>;
}

/** A joined member with nothing to consume (its fetch parked at the broker), plus a connected producer. */
export interface IdleResult {
  readonly kind: 'idle';
  readonly client: ClientName;
  readonly seconds: number;
  readonly cpu: CpuUse;
  readonly incidents: Readonly<Record<string, number>>;
}

export type RunResult = MaxRateResult | PacedResult | IdleResult;

/** Counts each incident and logs it with the time since the client started (adapters feed it their client's events). */
export function incidentCounter(client: ClientName): { counts: Record<string, number>; note: (incident: string, detail?: unknown) => void; stop: () => void } {
  const counts: Record<string, number> = {};
  const startedAt = performance.now();
  let stopped = false;
  return {
    counts,
    // Closing the client disconnects on purpose: nothing after that is an incident.
    stop: () => void (stopped = true),
    note: (incident, detail) => {
      if (stopped) return;
      counts[incident] = (counts[incident] ?? 0) + 1;
      const text = detail instanceof Error ? detail.message : detail === undefined ? '' : JSON.stringify(detail);
      process.stderr.write(`[${client} +${((performance.now() - startedAt) / 1000).toFixed(1)} s] ${incident} ${text}\n`);
    },
  };
}

/** The worker's one IPC message. */
export type WorkerMessage = { readonly type: 'result'; readonly result: RunResult; readonly settings: Readonly<Record<string, string>> } | { readonly type: 'error'; readonly message: string };

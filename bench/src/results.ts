/**
 * What a benchmark run records (bench/results/<stamp>.json), and what the report is made from.
 */

/** Where and with what the run happened. */
export interface RunStamp {
  readonly startedAt: string;
  readonly gitCommit: string;
  readonly gitDirty: boolean;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number; readonly os: string };
  readonly versions: Readonly<Record<string, string>>; // node, redis, kafka, bullmq, kafkajs, undici, fastify
  readonly matrix: 'quick' | 'full';
  /** Free-form: e.g. "after: batched in_flight transitions" for before/after comparisons. */
  readonly label: string;
}

/** One system in one cell (target latency × failure rate), over its rate staircase. */
export interface CellResult {
  readonly system: 'P' | 'A' | 'B';
  readonly systemDescription: string;
  readonly targetLatencyMs: number;
  /** Fraction of requests whose first attempt gets a retryable 503 (decided by request id). */
  readonly failureRate: number;
  readonly steps: readonly StepResult[];
  /** Highest offered rate whose step was stable; 0 when none was. */
  readonly kneeRate: number;
  /** Completed callbacks per second at the knee step. */
  readonly maxSustainableRate: number;
  /** The latency step: run at 50 % of the knee. */
  readonly atHalfKnee?: StepResult;
  /** Idle RSS per process (MB) before the first step. */
  readonly idleRssMb: Readonly<Record<string, number>>;
}

/** One step of the staircase: an offered rate held for a while (open loop). */
export interface StepResult {
  readonly offeredRate: number;
  readonly durationMs: number;
  readonly ledger: Ledger;
  /** Callbacks per second in the steady window of the step (after a warm-up, until the load ends). */
  readonly completedRate: number;
  /** Whether the backlog stayed bounded (see bench/README.md for the rule). */
  readonly stable: boolean;
  readonly unstableReason?: string;
  /** ms from each request's intended send time to its first attempt at the target. */
  readonly firstAttemptMs: Percentiles;
  /** ms from intended send time to callback, minus the target's own time on every attempt. */
  readonly addedToCallbackMs: Percentiles;
  /** CPU ms per 1,000 completed requests, per process group (services, redis, kafka, driver). */
  readonly cpuMsPer1000: Readonly<Record<string, number>>;
  /** Peak RSS per process (MB) during the step. */
  readonly peakRssMb: Readonly<Record<string, number>>;
}

/** sent = completed + failed + inFlight at the cut-off; otherwise the step is void. */
export interface Ledger {
  readonly sent: number;
  readonly completed: number;
  readonly failed: number;
  readonly inFlight: number;
  /** Callbacks beyond the first for a request (redeliveries). */
  readonly duplicates: number;
  /** Callbacks for ids the load generator never sent, or submissions the ingress refused. */
  readonly anomalies: number;
  readonly balanced: boolean;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface BenchRun {
  readonly stamp: RunStamp;
  readonly cells: readonly CellResult[];
}

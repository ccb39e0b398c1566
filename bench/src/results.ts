/**
 * What a benchmark run records (bench/results/<stamp>.json), and what the report is made from.
 */

/** Where and with what the run happened. */
export interface RunStamp {
  readonly startedAt: string;
  readonly gitCommit: string;
  readonly gitDirty: boolean;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number; readonly os: string };
  readonly versions: Readonly<Record<string, string>>; // node, redis, kafka, bullmq, @platformatic/kafka, undici, fastify
  readonly matrix: 'quick' | 'full';
  /** Free-form: e.g. "after: batched in_flight transitions" for before/after comparisons. */
  readonly label: string;
  /** The knee's refinement (refine.ts): stop when the bounds are `tolerance` apart, at most `maxProbes` probes per cell. Absent before it existed. */
  readonly refinement?: { readonly tolerance: number; readonly maxProbes: number };
}

/** One system in one cell (target latency × failure rate), over its rate staircase. */
export interface CellResult {
  readonly system: 'P' | 'A' | 'B';
  readonly systemDescription: string;
  readonly targetLatencyMs: number;
  /** Fraction of requests whose first attempt gets a retryable 503 (decided by request id). */
  readonly failureRate: number;
  /** The staircase's steps in the order they ran, then the refinement probes (`probe: true`). */
  readonly steps: readonly StepResult[];
  /** Highest offered rate whose step (staircase or probe) was stable, its ledger balanced; 0 when none was. */
  readonly kneeRate: number;
  /** Completed callbacks per second at the knee step. */
  readonly maxSustainableRate: number;
  /**
   * The bisection between the last stable and the first unstable staircase step (see
   * refine.ts). Absent when the staircase had no such pair (never unstable, or unstable from its
   * first step) and in runs recorded before refinement existed.
   */
  readonly refinement?: KneeRefinement;
  /** The latency step: run at 50 % of the knee. */
  readonly atHalfKnee?: StepResult;
  /** Idle RSS per process (MB) before the first step. */
  readonly idleRssMb: Readonly<Record<string, number>>;
}

/** How the knee was refined: the bracket before and after the probes, and why it stopped. */
export interface KneeRefinement {
  /** Last stable and first unstable staircase rates (requests/s). */
  readonly from: { readonly stable: number; readonly unstable: number };
  /** After the probes: `stable` is the knee, `unstable` the lowest rate found unstable or VOID above it. */
  readonly to: { readonly stable: number; readonly unstable: number };
  /** (to.unstable − to.stable) / to.stable: 0.1 = the knee known within 10 %. */
  readonly relativeGap: number;
  readonly probes: number;
  readonly stoppedBecause: 'resolved' | 'probe budget spent' | 'no rate left between the bounds';
}

/** One step of the staircase, or a refinement probe: an offered rate held for a while (open loop). */
export interface StepResult {
  readonly offeredRate: number;
  /** A refinement probe (bisecting the knee), not a staircase step; absent on staircase steps. */
  readonly probe?: boolean;
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

/**
 * One cell (target latency × failure rate) across the systems: P over A and P over B, for the
 * max sustainable rate and for CPU per request. CPU per request falls as the rate rises (fixed
 * costs — polling, timers, the Kafka JVM — spread over more requests), so the systems' CPU is
 * compared at one offered rate: the highest that every system in the cell ran stable (not VOID).
 */
export interface CellRatios {
  readonly targetLatencyMs: number;
  readonly failureRate: number;
  readonly maxSustainableRate: Readonly<Partial<Record<'P' | 'A' | 'B', number>>>;
  /** P's max sustainable rate over A's (PA) and B's (PB); absent when a system is missing or its rate is 0. */
  readonly rateRatio: { readonly PA?: number; readonly PB?: number };
  /** The offered rate (requests/s) the CPU is compared at; absent when no rate was stable for every system. */
  readonly cpuComparedAtRate?: number;
  /**
   * CPU-ms per 1,000 finished requests at that rate, of the system's own processes: its services,
   * Redis and the Kafka JVM (not the driver: load generator, target and receiver).
   */
  readonly cpuMsPer1000: Readonly<Partial<Record<'P' | 'A' | 'B', number>>>;
  /** P's CPU per request over A's (PA) and B's (PB): 2 = P spends twice A's CPU per request. */
  readonly cpuRatio: { readonly PA?: number; readonly PB?: number };
}

export interface BenchRun {
  readonly stamp: RunStamp;
  readonly cells: readonly CellResult[];
  /** Per cell, P/A and P/B (see CellRatios). Absent in runs recorded before it existed: the report computes it from the cells. */
  readonly ratios?: readonly CellRatios[];
}

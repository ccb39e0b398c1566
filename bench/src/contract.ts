/**
 * The contract every benchmarked system meets, so that one load generator, one target and one
 * callback receiver measure all three the same way (see bench/README.md).
 *
 * Ingress: `POST {ingressUrl}/v1/requests` with `Authorization: Bearer ${BENCH_API_KEY}` and
 * `content-type: application/json`, body `{ requests: BenchRequestSpec[], callback: { url } }`
 * → `202 { batchId, ids }` once the requests are accepted (durably, for P and A).
 * Each request is performed with the shared HTTP call, retried with the shared policy, and its
 * final result (the FinalResult shape of @parc/envelope: `{ id, status, reason?, request,
 * attempts, … }`) POSTed, signed per Standard Webhooks, to the callback URL.
 */

/** The API key every system accepts (bench only). */
export const BENCH_API_KEY = 'bench-client-key-0123456789';
/** The signing secret every system signs callbacks with (bench only). */
export const BENCH_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** What the load generator sends per request: a GET to the target, the retry policy spelled out. */
export interface BenchRequestSpec {
  readonly url: string;
  readonly method?: 'GET';
  readonly retry: BenchRetry;
}

/** The retry policy of every benchmark request (the same for all systems). */
export interface BenchRetry {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: 'full';
}

export const BENCH_RETRY: BenchRetry = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 'full' };

/** A process of a system, for CPU and RSS accounting. */
export interface SystemProcess {
  /** services: the system's own code; redis; kafka: the broker JVM. */
  readonly group: 'services' | 'redis' | 'kafka';
  readonly name: string;
  readonly pid: number;
}

export interface SystemOptions {
  /** Redis for P and A (the bench starts a fresh one per system). */
  readonly redisUrl: string;
  /** Kafka for P. */
  readonly kafkaBrokers: string;
  /** Private destinations the system must be allowed to call: the target and the receiver. */
  readonly egressAllowList: readonly string[];
  /** Where the system's own processes write their logs. */
  readonly logDir: string;
  /** When set, the system's own Node processes write V8 CPU profiles here on exit (`--profile`). */
  readonly cpuProfileDir?: string;
}

/** A running system under test. */
export interface SystemUnderTest {
  /** P (Parc), A (BullMQ), B (in-memory undici). */
  readonly key: 'P' | 'A' | 'B';
  /** One line saying what runs, with instance counts and parallelism. */
  readonly description: string;
  readonly ingressUrl: string;
  /** Its processes, including Redis and the Kafka JVM when it has them. */
  processes(): readonly SystemProcess[];
  /** Idempotent. */
  stop(): Promise<void>;
}

export type StartSystem = (options: SystemOptions) => Promise<SystemUnderTest>;

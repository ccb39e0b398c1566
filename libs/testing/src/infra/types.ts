import type { DockerEngineStatus } from './docker';

/**
 * Where a service came from: `env` = REDIS_URL / KAFKA_BROKERS named a running one,
 * `testcontainers` = a container on a reachable Docker engine, `local` = a process the harness
 * started from redis-server on PATH or the Kafka jars.
 */
export type InfraSource = 'env' | 'testcontainers' | 'local';

/** Options every `provide*` function takes. */
export interface ProvideOptions {
  /**
   * The ways to try, in this order. Default `['env', 'testcontainers', 'local']`. A run that must
   * not depend on Docker passes `['local']`; one that must reuse the environment passes `['env']`.
   */
  readonly sources?: readonly InfraSource[];
  /** Where REDIS_URL / KAFKA_BROKERS / DOCKER_HOST are read from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** An engine status already detected (startInfrastructure detects once for both services). */
  readonly docker?: DockerEngineStatus;
  /** Progress lines ("downloading the Kafka jars...") while something slow happens. Default: none. */
  readonly log?: (line: string) => void;
}

/** A Redis the tests can use, and how to release it. */
export interface ProvidedRedis {
  /** `redis://host:port` (with credentials and db when REDIS_URL carried them). */
  readonly url: string;
  /** `redis_version` as the server reports it. */
  readonly version: string;
  readonly source: InfraSource;
  /** The summary for humans: how it was obtained, e.g. `started redis-server from PATH`. */
  readonly description: string;
  /** Milliseconds spent per phase (`readyMs`, ...), for the summary and the README. */
  readonly timings: Readonly<Record<string, number>>;
  /** For `local`: the server's pid (chaos tests may SIGKILL it) and its temp dir. */
  readonly pid?: number;
  readonly workDir?: string;
  /** Stops what this call started and deletes its temp dir; a no-op for `env`. Idempotent. */
  stop(): Promise<void>;
}

/** A Kafka broker the tests can use, and how to release it. */
export interface ProvidedKafka {
  /** `host:port[,host:port]`, the KAFKA_BROKERS format. */
  readonly brokers: string;
  /** The Kafka release, or `unknown` for a broker from KAFKA_BROKERS (the protocol does not say). */
  readonly version: string;
  readonly source: InfraSource;
  readonly description: string;
  readonly timings: Readonly<Record<string, number>>;
  /** For `local`: the broker JVM's pid and its temp dir (holding server.log). */
  readonly pid?: number;
  readonly workDir?: string;
  stop(): Promise<void>;
}

export const DEFAULT_SOURCES: readonly InfraSource[] = ['env', 'testcontainers', 'local'];

/** Runs `stop` at most once, however many times it is called. */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}

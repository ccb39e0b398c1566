import { detectDockerEngine } from './docker';
import { InfraUnavailableError } from './errors';
import { provideKafka, type ProvideKafkaOptions } from './kafka';
import { provideRedis, redactUrl, type ProvideRedisOptions } from './redis';
import { DEFAULT_SOURCES, type InfraSource, type ProvidedKafka, type ProvidedRedis } from './types';
import { reapOrphans } from './workdir';

/** Both services, and the environment variables that describe them to tests and apps. */
export interface Infrastructure {
  readonly redis: ProvidedRedis;
  readonly kafka: ProvidedKafka;
  /** REDIS_URL, KAFKA_BROKERS, PARC_TEST_{REDIS,KAFKA}_VERSION, PARC_TEST_INFRA_SOURCE. */
  readonly env: Readonly<Record<string, string>>;
  /** One line per service, e.g. `[parc-testing] Redis 7.0.15 at redis://127.0.0.1:41234 (...)`. */
  readonly summary: readonly string[];
  /** Stops both (whatever was started; nothing for env-provided ones). Idempotent. */
  stop(): Promise<void>;
}

export interface StartInfrastructureOptions {
  readonly sources?: readonly InfraSource[];
  readonly env?: NodeJS.ProcessEnv;
  readonly redis?: Omit<ProvideRedisOptions, 'sources' | 'env' | 'docker' | 'log'>;
  readonly kafka?: Omit<ProvideKafkaOptions, 'sources' | 'env' | 'docker' | 'log'>;
  readonly log?: (line: string) => void;
}

/**
 * Provides Redis and Kafka side by side (see provideRedis / provideKafka for the order of ways),
 * detecting the Docker engine once for both and first removing services orphaned by killed runs.
 * If one service fails, the other is stopped before the error is rethrown.
 */
export async function startInfrastructure(options: StartInfrastructureOptions = {}): Promise<Infrastructure> {
  const env = options.env ?? process.env;
  reapOrphans();
  const wantsDocker = (options.sources ?? DEFAULT_SOURCES).includes('testcontainers');
  const needsDocker = wantsDocker && !(env['REDIS_URL']?.trim() && env['KAFKA_BROKERS']?.trim());
  const docker = needsDocker ? await detectDockerEngine({ env }) : undefined;
  const common = { sources: options.sources, env, docker, log: options.log };

  const [redis, kafka] = await Promise.allSettled([
    provideRedis({ ...options.redis, ...common }),
    provideKafka({ ...options.kafka, ...common }),
  ]);
  if (redis.status === 'rejected' || kafka.status === 'rejected') {
    await Promise.all([redis, kafka].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    const errors = [redis, kafka].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (errors.length === 1) throw errors[0];
    throw new AggregateError(errors, errors.map((e) => e.message).join('\n\n'));
  }
  return describe(redis.value, kafka.value);
}

/** The env variables and summary lines for two provided services. */
export function describe(redis: ProvidedRedis, kafka: ProvidedKafka): Infrastructure {
  const infraEnv = {
    REDIS_URL: redis.url,
    KAFKA_BROKERS: kafka.brokers,
    PARC_TEST_REDIS_VERSION: redis.version,
    PARC_TEST_KAFKA_VERSION: kafka.version,
    PARC_TEST_INFRA_SOURCE: `redis=${redis.source},kafka=${kafka.source}`,
  };
  const summary = [
    `[parc-testing] Redis ${redis.version} at ${redactUrl(redis.url)} (${redis.description})`,
    // A broker from KAFKA_BROKERS does not say its release (Metadata carries no version).
    `[parc-testing] Kafka${kafka.version === 'unknown' ? '' : ` ${kafka.version}`} at ${kafka.brokers} (${kafka.description})`,
  ];
  let stopping: Promise<void> | undefined;
  return {
    redis,
    kafka,
    env: infraEnv,
    summary,
    stop: () => (stopping ??= Promise.all([redis.stop(), kafka.stop()]).then(() => undefined)),
  };
}

/** PARC_TEST_INFRA as a list of sources; REDIS_URL / KAFKA_BROKERS are honoured in every mode. */
export function sourcesFromEnv(mode: string | undefined): InfraSource[] | undefined {
  switch ((mode ?? 'auto').trim().toLowerCase()) {
    case '':
    case 'auto':
      return undefined;
    case 'local':
      return ['env', 'local'];
    case 'docker':
    case 'testcontainers':
      return ['env', 'testcontainers'];
    default:
      throw new InfraUnavailableError(`PARC_TEST_INFRA=${mode} is not one of auto, local, docker.`);
  }
}

import { field, type ConfigOf, type Logger } from '@parc/service-kit';
import { RedisBackend } from '@parc/redis';
import { KafkaBackend, type KafkaLogLevel } from '@parc/kafka';

/** The proxy's Redis: inbox, request ledger, idempotency keys, callback queue, dead letters. */
export const proxyRedisSpec = {
  proxyRedisUrl: field.url({
    env: 'PROXY_REDIS_URL',
    protocols: ['redis', 'rediss'],
    default: 'redis://127.0.0.1:6379',
    description: "The proxy's Redis: inbox, request ledger, idempotency keys, callback queue and dead letters.",
  }),
  ledgerRetentionMs: field.duration({
    env: 'LEDGER_RETENTION_MS',
    default: 7 * 24 * 3_600_000,
    min: 60_000,
    description: 'How long a request and its final result can be polled after their last change.',
  }),
};

/** One Parc's Redis and its id (the Parc id is in every Parc-local key and topic). */
export const parcRedisSpec = {
  parcId: field.string({ env: 'PARC_ID', default: 'p1', description: 'Id of the Parc this instance belongs to (in its topic and key names).' }),
  parcRedisUrl: field.url({
    env: 'PARC_REDIS_URL',
    protocols: ['redis', 'rediss'],
    default: 'redis://127.0.0.1:6379',
    description: "The Parc's Redis: ready, done and due streams and the delayed-retry set.",
  }),
};

/** The active Parcs new work and due retries go to (the scheduler will keep this record). */
export const activeParcsSpec = {
  activeParcs: field.list({
    env: 'ACTIVE_PARCS',
    default: ['p1'],
    description: 'Ids of the Parcs that take new requests and due retries.',
  }),
};

export const kafkaSpec = {
  kafkaBrokers: field.list({ env: 'KAFKA_BROKERS', default: ['127.0.0.1:9092'], description: 'Kafka bootstrap brokers, host:port, comma-separated.' }),
  kafkaLogLevel: field.enum({
    env: 'KAFKA_LOG_LEVEL',
    values: ['nothing', 'error', 'warn', 'info', 'debug'] as const,
    default: 'warn',
    description: "Verbosity of the Kafka client's own log lines.",
  }),
};

export type ProxyRedisConfig = ConfigOf<typeof proxyRedisSpec>;
export type ParcRedisConfig = ConfigOf<typeof parcRedisSpec>;
export type KafkaConfig = ConfigOf<typeof kafkaSpec>;

/** A Redis backend for `service`, its connection named so that CLIENT LIST tells who is who. */
export function connectRedis(url: string, service: string, logger: Logger): RedisBackend {
  return new RedisBackend({ url, connectionName: service, logger: logger.child({ component: 'redis' }) });
}

export function connectKafka(config: KafkaConfig, service: string, logger: Logger): KafkaBackend {
  return new KafkaBackend({
    brokers: config.kafkaBrokers,
    clientId: service,
    clientLogLevel: config.kafkaLogLevel as KafkaLogLevel,
    logger: logger.child({ component: 'kafka' }),
  });
}

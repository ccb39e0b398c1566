import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ParcError } from '@parc/errors';
import { field, type ConfigOf, type Logger } from '@parc/service-kit';
import { RedisBackend } from '@parc/redis';
import { KafkaBackend, type KafkaLogLevel } from '@parc/kafka';
import { kafkaSecurityOptions, kafkaSecuritySpec } from './kafka-security';

/** Settings every stage shares: the namespace of every name, and the queue lease. */
export const commonSpec = {
  namespace: field.string({
    env: 'PARC_NAMESPACE',
    default: 'parc',
    description: 'Prefix of every Redis key and Kafka topic, so that several installations can share Redis and Kafka (lower-case letters, digits, dashes).',
  }),
  queueLeaseMs: field.duration({
    env: 'QUEUE_LEASE_MS',
    default: 15_000,
    min: 100,
    description:
      'How long a Redis-stream batch stays with a consumer that stopped renewing it (a crashed process that does not come back) before another takes it over. Running batches are renewed every third of it.',
  }),
  instanceId: field.string({
    env: 'INSTANCE_ID',
    optional: true,
    description:
      "This instance's name, the same across its restarts and unique among running instances; a restarted instance takes back at once the Redis-stream messages it held when it died. Default: the host name and PORT (a pod's name on Kubernetes).",
  }),
};

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
    description: 'Ids of the Parcs that take new requests and due retries while the Parc record (written by the scheduler, re-read every second) is empty.',
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
  kafkaSessionTimeoutMs: field.duration({
    env: 'KAFKA_SESSION_TIMEOUT_MS',
    default: 10_000,
    min: 1_000,
    description:
      "A Kafka consumer that stops heartbeating (a killed process) keeps its partitions, and holds up its restarted successor's join, this long; heartbeats go every tenth of it. The broker's group.min.session.timeout.ms (6 s by default) applies.",
  }),
  ...kafkaSecuritySpec,
};

export type ProxyRedisConfig = ConfigOf<typeof proxyRedisSpec>;
export type ParcRedisConfig = ConfigOf<typeof parcRedisSpec>;
export type KafkaConfig = ConfigOf<typeof kafkaSpec>;
export type CommonConfig = ConfigOf<typeof commonSpec>;

const NAMESPACE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** The namespace, checked: it ends up in every key and topic name. */
export function namespaceOf(config: CommonConfig): string {
  if (!NAMESPACE_PATTERN.test(config.namespace)) {
    throw new ParcError('CONFIG_INVALID', `PARC_NAMESPACE: "${config.namespace}" must be 1–32 lower-case letters, digits or inner dashes`);
  }
  return config.namespace;
}

/**
 * This instance's name across restarts: INSTANCE_ID, else host name and port — unique among the
 * processes of one machine (two cannot listen on one port) and, on Kubernetes, the pod's name,
 * which a container restarted in its pod keeps. The apps pass their whole config, PORT included;
 * without a port (and no INSTANCE_ID) there is no safe name and consumers stay unique per process.
 */
export function instanceIdOf(config: Partial<Pick<CommonConfig, 'instanceId'>> & { readonly port?: number }): string | undefined {
  if (config.instanceId !== undefined) return config.instanceId;
  return config.port === undefined || config.port === 0 ? undefined : `${hostname()}:${config.port}`;
}

/** A Redis backend for `service`, its connection named so that CLIENT LIST tells who is who. */
export function connectRedis(url: string, service: string, config: CommonConfig & { readonly port?: number }, logger: Logger): RedisBackend {
  const instanceId = instanceIdOf(config);
  return new RedisBackend({
    url,
    connectionName: service,
    leaseMs: config.queueLeaseMs,
    keyPrefix: namespaceOf(config),
    ...(instanceId === undefined ? {} : { instanceId }),
    logger: logger.child({ component: 'redis' }),
  });
}

/**
 * A Kafka backend for `service`. The TLS files are read here, once per backend at mount.
 * @throws ParcError CONFIG_INVALID naming the variable when TLS or SASL settings do not fit together.
 */
export function connectKafka(config: KafkaConfig & Partial<Pick<CommonConfig, 'instanceId'>> & { readonly port?: number }, service: string, logger: Logger): KafkaBackend {
  // Static group membership by the instance's stable name: a restarted process takes its partitions back at once.
  const instanceId = instanceIdOf(config);
  const security = kafkaSecurityOptions(config, (path) => readFileSync(path, 'utf8'));
  const log = logger.child({ component: 'kafka' });
  if (security.sasl?.mechanism === 'PLAIN' && security.tls === undefined) {
    log.warn('KAFKA_SASL_MECHANISM is plain without TLS: the password crosses the network as is (set KAFKA_TLS=true)');
  }
  if (security.tls?.rejectUnauthorized === false) {
    log.warn("KAFKA_TLS_REJECT_UNAUTHORIZED is false: the brokers' certificate is not checked");
  }
  return new KafkaBackend({
    brokers: config.kafkaBrokers,
    clientId: service,
    clientLogLevel: config.kafkaLogLevel as KafkaLogLevel,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    ...(instanceId === undefined ? {} : { instanceId }),
    logger: log,
    ...security,
  });
}

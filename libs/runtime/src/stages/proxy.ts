import { DEFAULT_API_LIMITS, registerPublicApi } from '@parc/api';
import { DEFAULT_RETRY_POLICY } from '@parc/backoff';
import { DEFAULT_ENVELOPE_LIMITS } from '@parc/envelope';
import { ParcError } from '@parc/errors';
import { field, type ConfigOf, type Secret, type ServiceApp } from '@parc/service-kit';
import { globalNames } from '@parc/topology';
import type { InjectedBackends } from '../backends';
import { commonSpec, connectRedis, namespaceOf, proxyRedisSpec } from '../infrastructure';
import { appTracing, tracingSpec } from '../tracing';
import { manageStage } from '../lifecycle';

const KIB = 1024;

export const proxySpec = {
  ...commonSpec,
  ...tracingSpec,
  ...proxyRedisSpec,
  apiKeys: field.secret({
    env: 'API_KEYS',
    optional: true,
    description: 'API keys clients send as `Authorization: Bearer <key>`: comma-separated `name:secret` (or bare secrets), each secret at least 16 characters. Required.',
  }),
  operatorKeys: field.list({ env: 'OPERATOR_KEYS', optional: true, description: 'Names of the keys allowed on the dead-letter routes (default: every key).' }),
  maxBatchRequests: field.integer({ env: 'MAX_BATCH_REQUESTS', default: DEFAULT_API_LIMITS.maxBatchRequests, min: 1, description: 'Requests in one JSON batch; more → 413 (stream them as NDJSON instead).' }),
  maxJsonBodyBytes: field.integer({ env: 'MAX_JSON_BODY_BYTES', default: DEFAULT_API_LIMITS.maxJsonBodyBytes, min: KIB, description: 'Bytes of a JSON request body; more → 413.' }),
  maxNdjsonLineBytes: field.integer({ env: 'MAX_NDJSON_LINE_BYTES', default: DEFAULT_API_LIMITS.maxNdjsonLineBytes, min: KIB, description: 'Bytes of one NDJSON line; a longer line is rejected, the stream goes on.' }),
  maxUrlLength: field.integer({ env: 'MAX_URL_LENGTH', default: DEFAULT_ENVELOPE_LIMITS.maxUrlLength, min: 16, description: "Characters of a request's URL." }),
  maxHeaderCount: field.integer({ env: 'MAX_HEADER_COUNT', default: DEFAULT_ENVELOPE_LIMITS.maxHeaderCount, min: 0, description: "Headers of a request." }),
  maxHeaderBytes: field.integer({ env: 'MAX_HEADER_BYTES', default: DEFAULT_ENVELOPE_LIMITS.maxHeaderBytes, min: 0, description: "Bytes of a request's header names and values." }),
  maxBodyBytes: field.integer({ env: 'MAX_BODY_BYTES', default: DEFAULT_ENVELOPE_LIMITS.maxBodyBytes, min: 0, description: "Bytes of a request's body (decoded)." }),
  inboxWatermark: field.integer({ env: 'INBOX_WATERMARK', default: 100_000, min: 1, description: 'Inbox backlog at which intake answers 503 with Retry-After instead of growing without bound.' }),
  retryAfterSeconds: field.integer({
    env: 'RETRY_AFTER_SECONDS',
    default: 2,
    min: 1,
    description: 'Retry-After of 503 answers; for a full inbox, the least Retry-After computed from its backlog and drain rate.',
  }),
  retryAfterMaxSeconds: field.integer({
    env: 'RETRY_AFTER_MAX_SECONDS',
    default: 30,
    min: 1,
    description: 'The most Retry-After computed for a full inbox, also answered while it does not drain at all (proxy-store or Kafka down).',
  }),
  idempotencyTtlMs: field.duration({ env: 'IDEMPOTENCY_TTL', default: 24 * 3_600_000, min: 1_000, description: "How long an Idempotency-Key's first answer is kept." }),
  defaultTimeoutMs: field.duration({ env: 'DEFAULT_TIMEOUT_MS', default: 30_000, min: 1, description: 'Timeout of one attempt when a request names none.' }),
  defaultDeadlineMs: field.duration({ env: 'DEFAULT_DEADLINE_MS', optional: true, min: 1, description: 'Deadline (after the first possible attempt) when a request names none; default none.' }),
  defaultMaxAttempts: field.integer({ env: 'DEFAULT_MAX_ATTEMPTS', default: DEFAULT_RETRY_POLICY.maxAttempts, min: 1, description: 'Attempts (the first one included) when a request names none.' }),
  defaultInitialDelayMs: field.duration({ env: 'DEFAULT_INITIAL_DELAY_MS', default: DEFAULT_RETRY_POLICY.initialDelayMs, min: 0, description: 'Backoff before the first retry (full jitter below it) when a request names none.' }),
  defaultMaxDelayMs: field.duration({ env: 'DEFAULT_MAX_DELAY_MS', default: DEFAULT_RETRY_POLICY.maxDelayMs, min: 0, description: 'Cap of the exponential backoff when a request names none.' }),
};

export type ProxyConfig = ConfigOf<typeof proxySpec>;

/** API_KEYS's keys: comma-separated, blanks dropped. */
export function splitApiKeys(apiKeys: Secret | undefined): string[] {
  return (apiKeys?.reveal() ?? '').split(',').map((key) => key.trim()).filter((key) => key !== '');
}

export interface ProxyMountOptions {
  /** Serve without API keys: only the embedded mode does this, and only on loopback. */
  readonly authDisabled?: boolean;
}

/** The proxy: the public API (intake, status, cancellation, dead letters, OpenAPI) on the proxy's Redis. */
export function mountProxy(app: ServiceApp, config: ProxyConfig, injected: InjectedBackends = {}, options: ProxyMountOptions = {}): void {
  const tracing = appTracing(app, config, 'proxy');
  const names = globalNames(namespaceOf(config));
  const apiKeys = splitApiKeys(config.apiKeys);
  if (apiKeys.length === 0 && options.authDisabled !== true) {
    throw new ParcError('CONFIG_INVALID', 'API_KEYS: is required: the proxy does not serve without API keys (comma-separated name:secret, secrets of 16+ characters)');
  }
  const proxyRedis = injected.proxyRedis ?? connectRedis(config.proxyRedisUrl, 'proxy', config, app.log);
  manageStage(app, {
    name: 'proxy',
    backends: { 'proxy-redis': { backend: proxyRedis, owned: !injected.proxyRedis } },
    start: async () => [],
  });
  void registerPublicApi(app, {
    ledger: proxyRedis.ledger({ retentionMs: config.ledgerRetentionMs }),
    idempotency: proxyRedis.idempotency(),
    deadLetters: proxyRedis.deadLetters(),
    // Views and pause / resume only: the gate's thresholds matter to the callers, not here.
    destinations: proxyRedis.destinationGate(),
    inboxBacklog: () => proxyRedis.backlog(names.inbox, 'proxy-store'),
    apiKeys,
    authDisabled: options.authDisabled === true,
    ...(config.operatorKeys ? { operatorKeys: config.operatorKeys } : {}),
    queues: { inbox: names.inbox, callbacks: names.callbacks },
    limits: { maxBatchRequests: config.maxBatchRequests, maxJsonBodyBytes: config.maxJsonBodyBytes, maxNdjsonLineBytes: config.maxNdjsonLineBytes },
    envelopeLimits: {
      maxUrlLength: config.maxUrlLength,
      maxHeaderCount: config.maxHeaderCount,
      maxHeaderBytes: config.maxHeaderBytes,
      maxBodyBytes: config.maxBodyBytes,
    },
    defaultPolicy: {
      maxAttempts: config.defaultMaxAttempts,
      initialDelayMs: config.defaultInitialDelayMs,
      maxDelayMs: config.defaultMaxDelayMs,
    },
    defaultTimeoutMs: config.defaultTimeoutMs,
    ...(config.defaultDeadlineMs !== undefined ? { defaultDeadlineMs: config.defaultDeadlineMs } : {}),
    backlogWatermark: config.inboxWatermark,
    retryAfterSeconds: config.retryAfterSeconds,
    retryAfterMaxSeconds: config.retryAfterMaxSeconds,
    idempotencyTtlMs: config.idempotencyTtlMs,
    tracing,
  });
}

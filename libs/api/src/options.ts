import type { InboxReading } from './backlog';
import type { RetryPolicy } from '@parc/backoff';
import { resolveEnvelopeLimits, type EnvelopeLimits } from '@parc/envelope';
import { ParcError } from '@parc/errors';
import type { DeadLetterStore, DestinationGate, IdempotencyStore, RequestLedger } from '@parc/store';
import { globalNames } from '@parc/topology';
import { TRACING_OFF, type Tracing } from '@parc/tracing';
import type { Registry } from 'prom-client';

/** Limits of the intake API itself; per-request limits (URL, headers, body) are envelope limits. */
export interface ApiLimits {
  /** Requests in one JSON batch; more → 413 (stream them as NDJSON instead). */
  readonly maxBatchRequests: number;
  /** Bytes of a JSON request body; more → 413. */
  readonly maxJsonBodyBytes: number;
  /** Bytes of one NDJSON line; a longer line is rejected, the stream goes on. */
  readonly maxNdjsonLineBytes: number;
  /** Lines of one NDJSON stream; lines after it are reported once and not read. */
  readonly maxNdjsonLines: number;
}

/** Sized for a 2-core proxy: a full JSON batch parses in tens of milliseconds. */
export const DEFAULT_API_LIMITS: ApiLimits = Object.freeze({
  maxBatchRequests: 1_000,
  maxJsonBodyBytes: 16 * 1024 * 1024,
  maxNdjsonLineBytes: 2 * 1024 * 1024,
  maxNdjsonLines: 100_000,
});

/** A configured API key: `secret`, or `name:secret` so that logs and metrics can name it. */
export type ApiKeyInput = string | { reveal(): string };

/** Options of {@link registerPublicApi}. Only the stores, the keys and the backlog are required. */
export interface PublicApiOptions {
  readonly ledger: RequestLedger;
  readonly idempotency: IdempotencyStore;
  readonly deadLetters: DeadLetterStore;
  /** The destination gate, for the operator's `/v1/destinations` routes (absent: no such routes). */
  readonly destinations?: DestinationGate;
  /** The inbox's backlog (the queue backend's `backlog(inbox, group)`): what waits, and how fast it drains. */
  readonly inboxBacklog: () => Promise<InboxReading>;
  /** API keys (`name:secret` or `secret`); at least one unless `authDisabled`. */
  readonly apiKeys: readonly ApiKeyInput[];
  /** Serve without authentication. Only for the embedded mode on loopback. */
  readonly authDisabled?: boolean;
  /** Names of the keys allowed on the operator routes (dead letters, destinations); default every key. */
  readonly operatorKeys?: readonly string[];
  /** Queue names; default `globalNames()`. */
  readonly queues?: { readonly inbox: string; readonly callbacks: string };
  readonly limits?: Partial<ApiLimits>;
  readonly envelopeLimits?: Partial<EnvelopeLimits>;
  /** The deployment's retry policy, under each request's `retry`. */
  readonly defaultPolicy?: Partial<RetryPolicy>;
  /** Timeout of one attempt when a request names none. */
  readonly defaultTimeoutMs?: number;
  /** Deadline (ms after the first possible attempt) when a request names none; default none. */
  readonly defaultDeadlineMs?: number;
  /** Inbox entries above which intake answers 503; default 100,000. */
  readonly backlogWatermark?: number;
  /** How long a backlog reading is reused; default 250 ms. */
  readonly backlogRefreshMs?: number;
  /** `Retry-After` of 503 answers, in seconds, and the least one computed for a full inbox; default 2. */
  readonly retryAfterSeconds?: number;
  /** The most `Retry-After` computed for a full inbox (also while nothing drains), in seconds; default 30. */
  readonly retryAfterMaxSeconds?: number;
  /** How long an Idempotency-Key's answer is kept; default 24 h. */
  readonly idempotencyTtlMs?: number;
  /**
   * How long a stream's hold on its Idempotency-Key lasts without renewal (renewed every third of
   * it while the stream is read): a key held by a proxy that died is free again after this; default 10 s.
   */
  readonly idempotencyLockMs?: number;
  /** NDJSON: accept after this many valid lines … (default 200) */
  readonly ndjsonChunkSize?: number;
  /** … or after this many ms since the oldest unaccepted line (default 50). */
  readonly ndjsonChunkMs?: number;
  /** Metrics registry; default the app's `metrics` decoration, else a private one. */
  readonly registry?: Registry;
  /** Serve `/openapi.json` and `/docs`; default true. */
  readonly docs?: boolean;
  /** With `GET /v1/batches/:id/results?wait=true`, how often an exhausted stream looks for new results; default 500 ms. */
  readonly resultsPollMs?: number;
  /** Injectable clock (epoch ms). */
  readonly now?: () => number;
  /** Accept spans and trace contexts of accepted requests (docs/tracing.md); default off. */
  readonly tracing?: Tracing;
}

/** Options that get a default when absent. */
type Defaulted =
  | 'authDisabled'
  | 'queues'
  | 'backlogWatermark'
  | 'backlogRefreshMs'
  | 'retryAfterSeconds'
  | 'retryAfterMaxSeconds'
  | 'idempotencyTtlMs'
  | 'idempotencyLockMs'
  | 'ndjsonChunkSize'
  | 'ndjsonChunkMs'
  | 'docs'
  | 'now'
  | 'tracing';

/** Options with every default applied, as the plugin uses them. */
export type ResolvedApiOptions = Omit<PublicApiOptions, Defaulted | 'limits' | 'envelopeLimits'> &
  Required<Pick<PublicApiOptions, Defaulted>> & {
    readonly limits: ApiLimits;
    readonly envelopeLimits: EnvelopeLimits;
  };

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1) {
    throw new ParcError('CONFIG_INVALID', `public API option ${name} must be a positive integer, got ${String(value)}`);
  }
  return resolved;
}

function optionalPositive(name: string, value: number | undefined): number | undefined {
  return value === undefined ? undefined : positive(name, value, 0);
}

function resolveLimits(partial: Partial<ApiLimits> = {}): ApiLimits {
  const limits = { ...DEFAULT_API_LIMITS };
  for (const name of Object.keys(DEFAULT_API_LIMITS) as (keyof ApiLimits)[]) {
    limits[name] = positive(`limits.${name}`, partial[name], DEFAULT_API_LIMITS[name]);
  }
  return Object.freeze(limits);
}

/**
 * Applies defaults and checks every option up front, so a misconfigured proxy refuses to start.
 * @throws ParcError CONFIG_INVALID naming the option.
 */
export function resolveApiOptions(options: PublicApiOptions): ResolvedApiOptions {
  if (options.apiKeys.length === 0 && options.authDisabled !== true) {
    throw new ParcError('CONFIG_INVALID', 'the public API needs at least one API key, or authDisabled: true (embedded mode only)');
  }
  const names = globalNames();
  return {
    ...options,
    authDisabled: options.authDisabled === true,
    queues: options.queues ?? { inbox: names.inbox, callbacks: names.callbacks },
    limits: resolveLimits(options.limits),
    envelopeLimits: resolveEnvelopeLimits(options.envelopeLimits),
    defaultTimeoutMs: optionalPositive('defaultTimeoutMs', options.defaultTimeoutMs),
    defaultDeadlineMs: optionalPositive('defaultDeadlineMs', options.defaultDeadlineMs),
    backlogWatermark: positive('backlogWatermark', options.backlogWatermark, 100_000),
    backlogRefreshMs: positive('backlogRefreshMs', options.backlogRefreshMs, 250),
    retryAfterSeconds: positive('retryAfterSeconds', options.retryAfterSeconds, 2),
    retryAfterMaxSeconds: positive('retryAfterMaxSeconds', options.retryAfterMaxSeconds, 30),
    idempotencyTtlMs: positive('idempotencyTtlMs', options.idempotencyTtlMs, 24 * 3_600_000),
    idempotencyLockMs: positive('idempotencyLockMs', options.idempotencyLockMs, 10_000),
    ndjsonChunkSize: positive('ndjsonChunkSize', options.ndjsonChunkSize, 200),
    ndjsonChunkMs: positive('ndjsonChunkMs', options.ndjsonChunkMs, 50),
    docs: options.docs ?? true,
    now: options.now ?? Date.now,
    tracing: options.tracing ?? TRACING_OFF,
  };
}

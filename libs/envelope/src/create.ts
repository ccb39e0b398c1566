import { DEFAULT_RETRY_POLICY, mergeRetryPolicy, type RetryPolicy } from '@parc/backoff';
import type { FieldIssue } from '@parc/errors';
import { newTraceId, newUlid } from './ids';
import type { EnvelopeLimits } from './limits';
import { ENVELOPE_VERSION, type Envelope, type EnvelopeCallback, type FlowControl, type HttpMethod, type TraceContext } from './schema';
import { throwIfIssues, validateEnvelope } from './validate';

/** Timeout of one attempt when the request names none. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The request as a user submits it; `createEnvelope` fills in the rest. */
export interface RequestInput {
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly bodyBase64?: string;
  readonly timeoutMs?: number;
  /** false: the call carries no trace headers of Parc's (docs/tracing.md); default true. */
  readonly propagateTrace?: boolean;
}

/** Everything a user may specify for one request. */
export interface EnvelopeInput {
  readonly request: RequestInput;
  /** Overrides of the deployment's default policy. */
  readonly policy?: Partial<RetryPolicy>;
  readonly callback?: EnvelopeCallback;
  readonly metadata?: Record<string, unknown>;
  /** Wait this many ms after acceptance before the first attempt (becomes `notBefore`). */
  readonly delayMs?: number;
  /** No attempt starts later than this many ms after acceptance (becomes `deadlineAt`). */
  readonly deadlineMs?: number;
  /** Shared by every request of one submission; a new ULID when absent. */
  readonly batchId?: string;
  /** From an incoming `traceparent`; a new trace id when absent. */
  readonly traceId?: string;
  /** The request's trace context (its trace id must be `traceId`). */
  readonly trace?: TraceContext;
  /** Limits shared with the other requests of its key (docs/destinations.md). */
  readonly flowControl?: FlowControl;
}

/** Clock, id sources, limits and deployment defaults for {@link createEnvelope}. */
export interface CreateEnvelopeOptions {
  /** Acceptance time, epoch ms. */
  readonly nowMs: number;
  /** Id source for `id` and a missing `batchId`; default {@link newUlid}. */
  readonly newId?: (nowMs: number) => string;
  /** Trace id source; default {@link newTraceId}. */
  readonly newTraceId?: () => string;
  readonly limits?: Partial<EnvelopeLimits>;
  /** The deployment's policy defaults, applied under the user's overrides. */
  readonly defaultPolicy?: Partial<RetryPolicy>;
  /** Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  readonly defaultTimeoutMs?: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** delayMs/deadlineMs are checked here: they never appear in the envelope under these names. */
function scheduleIssues({ delayMs, deadlineMs }: EnvelopeInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const isMs = (value: number): boolean => Number.isSafeInteger(value) && value >= 0;
  if (delayMs !== undefined && !isMs(delayMs)) {
    issues.push({ path: 'delayMs', message: 'must be a non-negative integer number of milliseconds' });
  }
  if (deadlineMs !== undefined && (!isMs(deadlineMs) || deadlineMs === 0)) {
    issues.push({ path: 'deadlineMs', message: 'must be a positive integer number of milliseconds' });
  } else if (deadlineMs !== undefined && delayMs !== undefined && isMs(delayMs) && deadlineMs <= delayMs) {
    issues.push({ path: 'deadlineMs', message: `must be greater than delayMs (${delayMs}), or no attempt could ever start` });
  }
  return issues;
}

function buildEnvelope(input: EnvelopeInput, options: CreateEnvelopeOptions): Envelope {
  const { nowMs } = options;
  const newId = options.newId ?? newUlid;
  const { request, callback, metadata, delayMs, deadlineMs, flowControl } = input;
  return {
    v: ENVELOPE_VERSION,
    id: newId(nowMs),
    traceId: input.traceId ?? (options.newTraceId ?? newTraceId)(),
    ...(input.trace !== undefined ? { trace: input.trace } : {}),
    batchId: input.batchId ?? newId(nowMs),
    acceptedAt: iso(nowMs),
    ...(delayMs !== undefined && delayMs > 0 ? { notBefore: iso(nowMs + delayMs) } : {}),
    ...(deadlineMs !== undefined ? { deadlineAt: iso(nowMs + deadlineMs) } : {}),
    request: {
      method: request.method,
      url: request.url,
      headers: { ...request.headers },
      ...(request.bodyBase64 !== undefined ? { bodyBase64: request.bodyBase64 } : {}),
      timeoutMs: request.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      ...(request.propagateTrace === false ? { propagateTrace: false } : {}),
    },
    policy: mergeRetryPolicy(input.policy, mergeRetryPolicy(options.defaultPolicy, DEFAULT_RETRY_POLICY)),
    ...(callback !== undefined ? { callback } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    ...(flowControl !== undefined ? { flowControl } : {}),
    attempts: [],
  };
}

/**
 * Builds a complete, validated envelope for a newly accepted request: ids, trace id, timestamps
 * (`notBefore` from delayMs, `deadlineAt` from deadlineMs, both relative to `nowMs`), default
 * timeout and the policy (user overrides over deployment defaults over DEFAULT_RETRY_POLICY).
 * @throws ParcError ENVELOPE_INVALID listing every problem, with envelope paths
 *   (`request.url`, `policy.maxAttempts`) plus `delayMs`/`deadlineMs` for the schedule.
 */
export function createEnvelope(input: EnvelopeInput, options: CreateEnvelopeOptions): Envelope {
  const early = scheduleIssues(input);
  throwIfIssues('request', early);
  const envelope = buildEnvelope(input, options);
  const result = validateEnvelope(envelope, options.limits);
  if (!result.ok) throwIfIssues('request', result.issues);
  return envelope;
}

import type { RetryPolicy } from '@parc/backoff';
import { createEnvelope, type Envelope, type EnvelopeInput, type EnvelopeLimits } from '@parc/envelope';
import { isParcError, type FieldIssue } from '@parc/errors';
import type { CallbackSpec, RequestSpec, RetrySpec } from '../schemas/request-spec';
import { mergeSpec, originOf, type BatchContext, type Origin } from './merge';
import { pooledTraceIds } from './trace-ids';

/** Deployment settings the conversion applies. */
export interface ConverterSettings {
  readonly envelopeLimits: EnvelopeLimits;
  readonly defaultPolicy?: Partial<RetryPolicy>;
  readonly defaultTimeoutMs?: number;
  readonly defaultDeadlineMs?: number;
}

/** Ids shared by every request of one submission. */
export interface SubmissionIds {
  readonly batchId: string;
  /** From the client's `traceparent`; each request gets its own when absent. */
  readonly traceId?: string;
}

/** A problem with one request, at an API path relative to the spec, and where it was written. */
export interface LocatedIssue extends FieldIssue {
  readonly origin: Origin;
}

export type Conversion = { readonly ok: true; readonly envelope: Envelope } | { readonly ok: false; readonly issues: LocatedIssue[] };

const PROBE_URL = 'https://callback-check.invalid/';
const PROBE_ID = '00000000000000000000000000';

const POLICY_NAMES: Readonly<Record<string, string>> = { retryOnStatuses: 'retryOn' };

/** Envelope paths (`request.url`, `policy.retryOnStatuses[1]`) in the API's names (`url`, `retry.retryOn[1]`). */
export function apiPath(path: string, spec: RequestSpec): string {
  if (path === 'request.bodyBase64') return spec.bodyBase64 !== undefined ? 'bodyBase64' : 'body';
  if (path.startsWith('request.')) return path.slice('request.'.length);
  if (path === 'policy') return 'retry';
  if (path.startsWith('policy.')) {
    const rest = path.slice('policy.'.length);
    const name = /^[^.[]+/.exec(rest)?.[0] ?? rest;
    return `retry.${POLICY_NAMES[name] ?? name}${rest.slice(name.length)}`;
  }
  if (path === 'notBefore') return 'delayMs';
  if (path === 'deadlineAt') return 'deadlineMs';
  return path;
}

function policyOf(retry: RetrySpec | undefined): Partial<RetryPolicy> | undefined {
  if (retry === undefined) return undefined;
  const { retryOn, ...rest } = retry;
  return retryOn === undefined ? rest : { ...rest, retryOnStatuses: retryOn };
}

/**
 * Turns validated RequestSpecs into envelopes: batch defaults merged in, text bodies encoded,
 * the user's retry over the deployment's policy, and every problem reported in the API's
 * names with the layer (item, defaults, batch) that caused it.
 */
export class SpecConverter {
  private readonly newTraceId = pooledTraceIds();

  constructor(private readonly settings: ConverterSettings) {}

  /** Converts one item; `nowMs` is the acceptance time shared by the submission. */
  convert(item: RequestSpec, batch: BatchContext, ids: SubmissionIds, nowMs: number): Conversion {
    return this.run(item, batch, ids, nowMs);
  }

  /**
   * Problems with a batch callback on its own (e.g. from NDJSON headers), found by converting a
   * probe request with it: the callback rules are the envelope's, applied in one place.
   */
  callbackIssues(callback: CallbackSpec): FieldIssue[] {
    const probe = this.run({ url: PROBE_URL }, { callback }, { batchId: PROBE_ID }, 0, () => PROBE_ID);
    return probe.ok ? [] : probe.issues.filter(({ path }) => path.startsWith('callback')).map(({ path, message }) => ({ path, message }));
  }

  private run(item: RequestSpec, batch: BatchContext, ids: SubmissionIds, nowMs: number, newId?: (nowMs: number) => string): Conversion {
    const spec = mergeSpec(item, batch);
    const issues: FieldIssue[] = [];
    const bodyBase64 = this.bodyOf(spec, issues);
    const input: EnvelopeInput = {
      request: { method: spec.method ?? 'GET', url: spec.url, headers: spec.headers, bodyBase64, timeoutMs: spec.timeoutMs },
      policy: policyOf(spec.retry),
      callback: spec.callback,
      metadata: spec.metadata,
      delayMs: spec.delayMs,
      deadlineMs: spec.deadlineMs ?? this.defaultDeadline(spec.delayMs),
      batchId: ids.batchId,
      traceId: ids.traceId,
      flowControl: spec.flowControl,
    };
    let envelope: Envelope | undefined;
    try {
      envelope = createEnvelope(input, {
        nowMs,
        newId,
        newTraceId: this.newTraceId,
        limits: this.settings.envelopeLimits,
        defaultPolicy: this.settings.defaultPolicy,
        defaultTimeoutMs: this.settings.defaultTimeoutMs,
      });
    } catch (error) {
      if (!isParcError(error, 'ENVELOPE_INVALID')) throw error;
      issues.push(...error.details.map(({ path, message }) => ({ path: apiPath(path, spec), message })));
    }
    if (envelope !== undefined && issues.length === 0) return { ok: true, envelope };
    return { ok: false, issues: issues.map((issue) => ({ ...issue, origin: originOf(issue.path, item, batch) })) };
  }

  /** The body as base64: `body` is UTF-8 text, checked against maxBodyBytes in its own terms. */
  private bodyOf(spec: RequestSpec, issues: FieldIssue[]): string | undefined {
    if (spec.body === undefined) return spec.bodyBase64;
    if (spec.bodyBase64 !== undefined) {
      issues.push({ path: 'body', message: 'must not be given together with bodyBase64; send one of them' });
      return spec.bodyBase64;
    }
    const max = this.settings.envelopeLimits.maxBodyBytes;
    const bytes = Buffer.byteLength(spec.body);
    if (bytes > max) {
      issues.push({ path: 'body', message: `must be at most ${max} bytes of UTF-8 (limit maxBodyBytes), got ${bytes}` });
      return undefined;
    }
    return Buffer.from(spec.body, 'utf8').toString('base64');
  }

  /** The default deadline counts from the first possible attempt, so a delay cannot outlast it. */
  private defaultDeadline(delayMs: number | undefined): number | undefined {
    const { defaultDeadlineMs } = this.settings;
    return defaultDeadlineMs === undefined ? undefined : (delayMs ?? 0) + defaultDeadlineMs;
  }
}

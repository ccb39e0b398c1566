import type { RetryPolicy } from '@parc/backoff';
import { createEnvelope, type Envelope, type EnvelopeInput, type EnvelopeLimits, type TraceContext } from '@parc/envelope';
import { isParcError, type FieldIssue } from '@parc/errors';
import { SPAN_ATTRIBUTES, TRACING_OFF, TraceIds, endSpan, type SpanGroup, type Tracing } from '@parc/tracing';
import type { CallbackSpec, RequestSpec, RetrySpec } from '../schemas/request-spec';
import { mergeSpec, originOf, type BatchContext, type Origin } from './merge';
import { acceptTrace, type ClientTrace } from './trace';

/** Deployment settings the conversion applies. */
export interface ConverterSettings {
  readonly envelopeLimits: EnvelopeLimits;
  readonly defaultPolicy?: Partial<RetryPolicy>;
  readonly defaultTimeoutMs?: number;
  readonly defaultDeadlineMs?: number;
  /** Spans of accepted requests (docs/tracing.md); default off. */
  readonly tracing?: Tracing;
}

/** Ids shared by every request of one submission. */
export interface SubmissionIds {
  readonly batchId: string;
  /** The client's trace context, from a valid `traceparent` (and its `tracestate`). */
  readonly client?: ClientTrace;
  /**
   * True when the submission is a single request (a JSON batch of one): it continues the client's
   * trace. Otherwise every request starts a trace of its own (linked to the client's when tracing
   * is on), so that a batch of 100,000 requests does not become one giant trace.
   */
  readonly oneRequest?: boolean;
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
  private readonly traceIds = new TraceIds();
  private readonly tracing: Tracing;

  constructor(private readonly settings: ConverterSettings) {
    this.tracing = settings.tracing ?? TRACING_OFF;
  }

  /**
   * Converts one item; `nowMs` is the acceptance time shared by the submission. With tracing on,
   * the request's accept span is added to `spans` when it converts (the caller ends them once the
   * requests are stored), or ended at once when there is no group.
   */
  convert(item: RequestSpec, batch: BatchContext, ids: SubmissionIds, nowMs: number, spans?: SpanGroup): Conversion {
    const { traceId, trace, span } = acceptTrace(this.tracing, this.traceIds, ids);
    const conversion = this.run(item, batch, ids, nowMs, { traceId, trace });
    if (span === undefined) return conversion;
    if (!conversion.ok) endSpan(span, 'the request is invalid');
    else {
      span.setAttribute(SPAN_ATTRIBUTES.requestId, conversion.envelope.id);
      if (spans === undefined) span.end();
      else spans.add(span);
    }
    return conversion;
  }

  /**
   * Problems with a batch callback on its own (e.g. from NDJSON headers), found by converting a
   * probe request with it: the callback rules are the envelope's, applied in one place.
   */
  callbackIssues(callback: CallbackSpec): FieldIssue[] {
    const probe = this.run({ url: PROBE_URL }, { callback }, { batchId: PROBE_ID }, 0, { traceId: this.traceIds.traceId() }, () => PROBE_ID);
    return probe.ok ? [] : probe.issues.filter(({ path }) => path.startsWith('callback')).map(({ path, message }) => ({ path, message }));
  }

  private run(
    item: RequestSpec,
    batch: BatchContext,
    ids: SubmissionIds,
    nowMs: number,
    trace: { readonly traceId: string; readonly trace?: TraceContext },
    newId?: (nowMs: number) => string,
  ): Conversion {
    const spec = mergeSpec(item, batch);
    const issues: FieldIssue[] = [];
    const bodyBase64 = this.bodyOf(spec, issues);
    const input: EnvelopeInput = {
      request: { method: spec.method ?? 'GET', url: spec.url, headers: spec.headers, bodyBase64, timeoutMs: spec.timeoutMs, propagateTrace: spec.propagateTrace },
      policy: policyOf(spec.retry),
      callback: spec.callback,
      metadata: spec.metadata,
      delayMs: spec.delayMs,
      deadlineMs: spec.deadlineMs ?? this.defaultDeadline(spec.delayMs),
      batchId: ids.batchId,
      traceId: trace.traceId,
      trace: trace.trace,
      flowControl: spec.flowControl,
    };
    let envelope: Envelope | undefined;
    try {
      envelope = createEnvelope(input, {
        nowMs,
        newId,
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

/**
 * What one request costs, identically in every benchmarked system: the same HTTP client (Parc's
 * own HttpCaller, built by the same function as Parc's caller and responder, with the settings
 * below), the same attempt record, the same retry decision (parc-outgoing's own
 * `verdictFor`), the same final result (@parc/envelope `finalResult`) and the same
 * signed callback with the same retry policy as Parc's responder. Systems A and B differ only
 * in how they queue, wait and retry.
 */
import { decideNext, type AttemptOutcome, type RetryPolicy } from '@parc/backoff';
import type { HttpCaller } from '@parc/egress';
import {
  appendAttempt,
  finalResult,
  requestBodyBytes,
  type AttemptRecord,
  type Envelope,
  type FinalOutcome,
  type FinalResult,
} from '@parc/envelope';
import { DEFAULT_CALLBACK_RETRY_POLICY, verdictFor } from '@parc/pipeline';
import { createHttpCaller } from '@parc/runtime';
import { signWebhook, type WebhookSecret } from '@parc/webhooks';
import { warn } from './child';

/**
 * The HTTP client settings of every system. Parc gets the same through MAX_RESPONSE_BODY_BYTES,
 * MAX_CONCURRENT_PER_HOST and CONNECT_TIMEOUT_MS. The per-host cap is per process and sized so
 * that it never throttles a system below its own parallelism (the target and the callback
 * receiver share the host 127.0.0.1, hence one gate).
 */
export const BENCH_HTTP = Object.freeze({
  maxResponseBodyBytes: 65_536,
  maxConcurrentPerHost: 512,
  connectTimeoutMs: 10_000,
});

/** Time allowed for one callback POST: Parc's responder default (CALLBACK_TIMEOUT_MS). */
export const BENCH_CALLBACK_TIMEOUT_MS = 10_000;

/** Callback retries: the policy Parc's responder uses by default. */
export const BENCH_CALLBACK_POLICY: RetryPolicy = DEFAULT_CALLBACK_RETRY_POLICY;

/** The HttpCaller of a bench process, allowed to reach `allowList` (the target and the receiver). */
export function createBenchHttp(allowList: readonly string[]): HttpCaller {
  return createHttpCaller({ egressAllowList: [...allowList], ...BENCH_HTTP });
}

/** One call of the request `envelope` describes; never rejects for a failed call (see HttpCaller.call). */
export function attempt(http: HttpCaller, envelope: Envelope): Promise<AttemptRecord> {
  const { method, url, headers, timeoutMs } = envelope.request;
  const body = requestBodyBytes(envelope);
  return http.call(body === undefined ? { method, url, headers, timeoutMs } : { method, url, headers, body, timeoutMs });
}

/** What happens to a request after an attempt. */
export type Decision =
  | { readonly kind: 'retry'; /** Wait before the next attempt, ms. */ readonly delayMs: number }
  | { readonly kind: 'final'; readonly outcome: FinalOutcome };

/** An attempt made: the envelope with it appended, and what to do next. */
export interface Attempted {
  readonly envelope: Envelope;
  readonly decision: Decision;
}

/** One attempt of `envelope`, recorded and decided (the step every system repeats per attempt). */
export async function attemptAndDecide(http: HttpCaller, envelope: Envelope, random: () => number = Math.random): Promise<Attempted> {
  const record = await attempt(http, envelope);
  const next = appendAttempt(envelope, record);
  // parc-outgoing's own decision (egress refusal final, then the retry policy), as a delay.
  const nowMs = Date.now();
  const verdict = verdictFor(next, nowMs, random);
  const decision: Decision = verdict.kind === 'final' ? verdict : { kind: 'retry', delayMs: Math.max(0, verdict.retryAtMs - nowMs) };
  return { envelope: next, decision };
}

/** How a callback delivery ended. */
export interface CallbackDelivery {
  readonly delivered: boolean;
  /** POSTs made. */
  readonly posts: number;
  /** The last POST's status or transport error code. */
  readonly last: string;
}

/** Tunables of {@link deliverCallback}; the defaults are Parc's responder's. */
export interface DeliverOptions {
  readonly policy?: RetryPolicy;
  readonly timeoutMs?: number;
  readonly random?: () => number;
}

const outcomeOfRecord = (record: AttemptRecord): AttemptOutcome => ({
  status: record.status,
  errorCode: record.error?.code,
  retryAfterMs: record.retryAfterMs,
});

const sleep = (ms: number): Promise<void> => new Promise((settle) => setTimeout(settle, ms));

/**
 * POSTs `result`, serialised once, to `url`, signed per Standard Webhooks with every secret
 * (re-signed per POST, as the timestamp is part of the signature), through the same HttpCaller.
 * Retryable failures are retried in place with the callback policy's backoff.
 */
export async function deliverCallback(
  http: HttpCaller,
  url: string,
  result: FinalResult,
  secrets: readonly WebhookSecret[],
  options: DeliverOptions = {},
): Promise<CallbackDelivery> {
  const policy = options.policy ?? BENCH_CALLBACK_POLICY;
  const random = options.random ?? Math.random;
  const body = JSON.stringify(result);
  const bytes = Buffer.from(body);
  for (let posts = 1; ; posts++) {
    const signature = signWebhook({ id: result.id, nowMs: Date.now(), body, secrets });
    const headers = { 'content-type': 'application/json', ...signature };
    const timeoutMs = options.timeoutMs ?? BENCH_CALLBACK_TIMEOUT_MS;
    const record = await http.call({ method: 'POST', url, headers, body: bytes, timeoutMs });
    const last = record.error?.code ?? `status ${record.status}`;
    const decision = decideNext({ policy, attemptsMade: posts, outcome: outcomeOfRecord(record), nowMs: Date.now(), random });
    if (decision.kind === 'succeeded') return { delivered: true, posts, last };
    if (decision.kind === 'failed') return { delivered: false, posts, last };
    await sleep(decision.delayMs);
  }
}

/**
 * Ends a request: its final result (the shape Parc's callbacks have) POSTed to its callback URL.
 * A callback given up on is one warning line (ids and outcome only, never bodies or secrets).
 */
export async function finish(http: HttpCaller, envelope: Envelope, outcome: FinalOutcome, secrets: readonly WebhookSecret[]): Promise<void> {
  const callbackUrl = envelope.callback?.url;
  if (callbackUrl === undefined) return; // the bench ingress always sets one
  const delivery = await deliverCallback(http, callbackUrl, finalResult(envelope, outcome, Date.now()), secrets);
  if (!delivery.delivered) warn('callback given up', { id: envelope.id, posts: delivery.posts, last: delivery.last });
}

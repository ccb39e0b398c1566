import { parseWebhookSecrets, verifyWebhook } from '@parc/webhooks';
import type { CallbackReceiver, ReceivedCallback } from '../stack/callback-receiver';
import type { Expected, ScenarioRequest } from './scenario';

interface Attempt {
  startedAt: string;
  durationMs: number;
  status?: number;
  error?: { code: string };
  bodyTruncated?: boolean;
}

interface Result {
  id: string;
  status: string;
  reason?: string;
  attempts: Attempt[];
  request: { url: string };
  metadata?: Record<string, unknown>;
}

/** What an end-to-end run delivered, checked against what each request had to end as. */
export interface Verdict {
  readonly problems: string[];
  /**
   * The most a retry came after the latest moment its backoff allowed (pipeline latency: hops,
   * mover tick, load). Measured and printed, never asserted: a loaded machine makes it grow.
   */
  readonly maxRetryLatenessMs: number;
  /** Deliveries beyond one accepted callback per request (redeliveries after faults). */
  readonly extraDeliveries: number;
  readonly missing: number;
  /**
   * Attempts that ended `connect_timeout`: the target may never have seen them (on a loaded machine
   * its accept can take longer than the request's timeout), so target-side call counts may fall
   * short of the attempts by at most this many.
   */
  readonly connectTimeouts: number;
}


/**
 * Checks every request got its callback with a valid signature and the right outcome. `strict`
 * also demands exactly one delivery per request and the exact attempt count (no faults injected).
 */
export function verifyRun(options: {
  ids: readonly string[];
  requests: readonly ScenarioRequest[];
  receiver: CallbackReceiver;
  secrets: string;
  strict: boolean;
}): Verdict {
  const secrets = parseWebhookSecrets(options.secrets);
  const accepted = options.receiver.acceptedById();
  const problems: string[] = [];
  let extraDeliveries = 0;
  let missing = 0;
  let maxRetryLatenessMs = 0;
  let connectTimeouts = 0;
  options.ids.forEach((id, i) => {
    const expected = (options.requests[i] as ScenarioRequest).expected;
    const deliveries = accepted.get(id) ?? [];
    if (deliveries.length === 0) {
      missing++;
      problems.push(`${id} (${expected.kind}): no callback`);
      return;
    }
    extraDeliveries += deliveries.length - 1;
    if (options.strict && deliveries.length > 1) problems.push(`${id} (${expected.kind}): ${deliveries.length} callbacks`);
    for (const delivery of deliveries) {
      const check = verifyWebhook({ headers: delivery.headers, body: delivery.body, secrets, nowMs: delivery.receivedAt });
      if (!check.ok) problems.push(`${id}: signature does not verify (${check.reason})`);
    }
    const result = JSON.parse((deliveries[0] as { body: string }).body) as Result;
    problems.push(...checkResult(id, result, expected, options.strict));
    maxRetryLatenessMs = Math.max(maxRetryLatenessMs, retryLateness(result.attempts, expected));
    connectTimeouts += result.attempts.filter((attempt) => attempt.error?.code === 'connect_timeout').length;
  });
  return { problems, extraDeliveries, missing, maxRetryLatenessMs, connectTimeouts };
}

/**
 * What is wrong with one delivered final result (its callback body) against what the request had
 * to end as: id, status, reason, last error, truncation. Attempt counts and spacing are not judged:
 * faults legitimately add attempts.
 */
export function judgeDelivery(id: string, body: string, expected: Expected): string[] {
  let result: Result;
  try {
    result = JSON.parse(body) as Result;
  } catch {
    return [`${id} (${expected.kind}): the callback body is not JSON`];
  }
  return checkResult(id, result, expected, false);
}

/** Why a delivery's Standard Webhooks signature does not verify, or undefined when it does. */
export function signatureProblem(delivery: ReceivedCallback, secrets: string): string | undefined {
  const check = verifyWebhook({ headers: delivery.headers, body: delivery.body, secrets: parseWebhookSecrets(secrets), nowMs: delivery.receivedAt });
  return check.ok ? undefined : check.reason;
}

function checkResult(id: string, result: Result, expected: ScenarioRequest['expected'], strict: boolean): string[] {
  const problems: string[] = [];
  const label = `${id} (${expected.kind})`;
  if (result.id !== id) problems.push(`${label}: result id ${result.id}`);
  if (result.status !== expected.status) problems.push(`${label}: status ${result.status}, expected ${expected.status}`);
  if ((result.reason ?? undefined) !== expected.reason) problems.push(`${label}: reason ${result.reason}, expected ${expected.reason}`);
  if (strict && result.attempts.length !== expected.attempts) problems.push(`${label}: ${result.attempts.length} attempts, expected ${expected.attempts}`);
  const last = result.attempts[result.attempts.length - 1];
  const lastErrors = expected.lastError === undefined ? undefined : [expected.lastError].flat();
  if (lastErrors !== undefined && !lastErrors.includes(last?.error?.code ?? '')) problems.push(`${label}: last error ${last?.error?.code}`);
  if (expected.truncated && !result.attempts.some((a) => a.bodyTruncated)) problems.push(`${label}: body not marked truncated`);
  problems.push(...checkSpacing(label, result.attempts, expected, strict));
  return problems;
}

/** Gap = next start − (previous start + duration). */
function gapsOf(attempts: readonly Attempt[]): number[] {
  return attempts.slice(1).map((attempt, k) => {
    const previous = attempts[k] as Attempt;
    return Date.parse(attempt.startedAt) - (Date.parse(previous.startedAt) + previous.durationMs);
  });
}

/** A retry must never come before its Retry-After or its (unjittered) backoff. */
function checkSpacing(label: string, attempts: readonly Attempt[], expected: ScenarioRequest['expected'], strict: boolean): string[] {
  if (!strict) return [];
  return gapsOf(attempts).flatMap((gap, k) => {
    const min = expected.minGapsMs?.[k];
    // 2 ms: startedAt has millisecond resolution and durationMs is fractional.
    return min !== undefined && gap < min - 2 ? [`${label}: attempt ${k + 2} came ${gap} ms after attempt ${k + 1}, before the ${min} ms it had to wait`] : [];
  });
}

function retryLateness(attempts: readonly Attempt[], expected: ScenarioRequest['expected']): number {
  if (expected.maxBackoffMs === undefined) return 0;
  const cap = expected.maxBackoffMs;
  return Math.max(0, ...gapsOf(attempts).map((gap, k) => gap - cap * 2 ** k));
}

import { parseWebhookSecrets, verifyWebhook } from '@parc/webhooks';
import type { CallbackReceiver } from '@parc/testing';
import type { ScenarioRequest } from './scenario';

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
  /** Deliveries beyond one accepted callback per request (redeliveries after faults). */
  readonly extraDeliveries: number;
  readonly missing: number;
}

/** Slack for pipeline latency between an attempt and the next one (hops, mover tick, load). */
const PIPELINE_SLACK_MS = 15_000;

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
  });
  return { problems, extraDeliveries, missing };
}

function checkResult(id: string, result: Result, expected: ScenarioRequest['expected'], strict: boolean): string[] {
  const problems: string[] = [];
  const label = `${id} (${expected.kind})`;
  if (result.id !== id) problems.push(`${label}: result id ${result.id}`);
  if (result.status !== expected.status) problems.push(`${label}: status ${result.status}, expected ${expected.status}`);
  if ((result.reason ?? undefined) !== expected.reason) problems.push(`${label}: reason ${result.reason}, expected ${expected.reason}`);
  if (strict && result.attempts.length !== expected.attempts) problems.push(`${label}: ${result.attempts.length} attempts, expected ${expected.attempts}`);
  const last = result.attempts[result.attempts.length - 1];
  if (expected.lastError && last?.error?.code !== expected.lastError) problems.push(`${label}: last error ${last?.error?.code}`);
  if (expected.truncated && !result.attempts.some((a) => a.bodyTruncated)) problems.push(`${label}: body not marked truncated`);
  problems.push(...checkSpacing(label, result.attempts, expected, strict));
  return problems;
}

/** Gap = next start − (previous start + duration): never below the minimum, never absurdly above the backoff. */
function checkSpacing(label: string, attempts: readonly Attempt[], expected: ScenarioRequest['expected'], strict: boolean): string[] {
  const problems: string[] = [];
  for (let k = 1; k < attempts.length; k++) {
    const previous = attempts[k - 1] as Attempt;
    const gap = Date.parse((attempts[k] as Attempt).startedAt) - (Date.parse(previous.startedAt) + previous.durationMs);
    const min = expected.minGapsMs?.[k - 1];
    // 2 ms: startedAt has millisecond resolution and durationMs is fractional.
    if (strict && min !== undefined && gap < min - 2) problems.push(`${label}: attempt ${k + 1} came ${gap} ms after attempt ${k}, before the ${min} ms it had to wait`);
    if (expected.maxBackoffMs !== undefined && gap > expected.maxBackoffMs * 2 ** (k - 1) + PIPELINE_SLACK_MS) {
      problems.push(`${label}: attempt ${k + 1} came ${gap} ms after attempt ${k}: far beyond its backoff`);
    }
  }
  return problems;
}

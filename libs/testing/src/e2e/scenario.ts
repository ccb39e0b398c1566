import type { TargetServer } from '../target/server';

/**
 * The end-to-end workload: a mix of what slow, flaky and broken servers do, with what each
 * request must end as. Behaviour is scripted in the URL (see libs/testing/README.md), keyed per
 * request so that sequences ("500 then 200") count that request's calls only.
 */
export interface Expected {
  readonly kind: string;
  readonly status: 'succeeded' | 'failed';
  readonly reason?: string;
  readonly attempts: number;
  /** Error code of the last attempt, for transport failures (any of several). */
  readonly lastError?: string | readonly string[];
  /** Minimum gap between consecutive attempts (Retry-After, or backoff without jitter). */
  readonly minGapsMs?: readonly number[];
  /** Maximum backoff the policy allows between attempts (before pipeline latency). */
  readonly maxBackoffMs?: number;
  readonly truncated?: boolean;
}

export interface ScenarioRequest {
  readonly spec: Record<string, unknown>;
  readonly expected: Expected;
}

const FAST_RETRY = { initialDelayMs: 100, maxDelayMs: 400, multiplier: 2, jitter: 'full' };

type Kind = (target: TargetServer, key: string) => ScenarioRequest;

const KINDS: readonly Kind[] = [
  (t) => ({ spec: { url: t.urlFor('/ok', { status: 200 }) }, expected: { kind: '200', status: 'succeeded', attempts: 1 } }),
  (t) => ({ spec: { method: 'POST', url: t.urlFor('/post', { status: 201 }), body: '{"hello":"world"}', headers: { 'content-type': 'application/json' } }, expected: { kind: 'POST 201', status: 'succeeded', attempts: 1 } }),
  (t) => ({ spec: { url: t.urlFor('/missing', { status: 404 }) }, expected: { kind: '404', status: 'failed', reason: 'non_retryable_status', attempts: 1 } }),
  (t, key) => ({
    spec: { url: t.urlFor('/flaky', { seq: '500,200', key }), retry: FAST_RETRY },
    expected: { kind: '500 then 200', status: 'succeeded', attempts: 2, maxBackoffMs: 100 },
  }),
  (t, key) => ({
    spec: { url: t.urlFor('/busy', { seq: '503~1,200', key }), retry: FAST_RETRY },
    expected: { kind: '503 Retry-After 1 then 200', status: 'succeeded', attempts: 2, minGapsMs: [1_000] },
  }),
  (t) => ({
    spec: { url: t.urlFor('/limited', { status: 429 }), retry: { ...FAST_RETRY, maxAttempts: 3 } },
    expected: { kind: '429 always', status: 'failed', reason: 'retries_exhausted', attempts: 3, maxBackoffMs: 200 },
  }),
  (t) => ({
    spec: { url: t.urlFor('/hang', { hang: 1 }), timeoutMs: 300, retry: { ...FAST_RETRY, maxAttempts: 2 } },
    // The 300 ms cover connecting too: on a saturated machine (chaos beside other runs) the target's
    // accept alone can take that long, and the attempt ends connect_timeout — a timeout all the same.
    expected: { kind: 'timeout', status: 'failed', reason: 'retries_exhausted', attempts: 2, lastError: ['timeout', 'connect_timeout'] },
  }),
  (t) => ({
    spec: { url: t.urlFor('/reset', { reset: 1 }), retry: { ...FAST_RETRY, maxAttempts: 2 } },
    expected: { kind: 'connection reset', status: 'failed', reason: 'retries_exhausted', attempts: 2, lastError: 'connection_reset' },
  }),
  (t) => ({ spec: { url: t.urlFor('/slow', { latencyMs: 150 }) }, expected: { kind: 'slow 150 ms', status: 'succeeded', attempts: 1 } }),
  (t) => ({ spec: { url: t.urlFor('/large', { bodyBytes: 100_000 }) }, expected: { kind: 'large body', status: 'succeeded', attempts: 1, truncated: true } }),
  (t, key) => ({
    spec: { url: t.urlFor('/twice', { seq: '500,502,200', key }), retry: { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 'none', maxAttempts: 4 } },
    expected: { kind: '500, 502, then 200 (no jitter)', status: 'succeeded', attempts: 3, minGapsMs: [100, 200] },
  }),
  (t) => ({ spec: { url: t.urlFor('/ok', { status: 200 }), metadata: { customer: 'acme', n: 1 } }, expected: { kind: '200 with metadata', status: 'succeeded', attempts: 1 } }),
];

/** `count` requests cycling through every kind; `runId` keeps sequence keys unique per run. */
export function buildScenario(target: TargetServer, count: number, runId: string): ScenarioRequest[] {
  return Array.from({ length: count }, (_, i) => (KINDS[i % KINDS.length] as Kind)(target, `${runId}-${i}`));
}

/** Calls the target must receive at least, if every request is attempted exactly as expected. */
export function expectedCalls(requests: readonly ScenarioRequest[]): number {
  return requests.reduce((sum, r) => sum + r.expected.attempts, 0);
}

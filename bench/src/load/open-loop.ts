import { request as undiciRequest, Agent } from 'undici';
import { BENCH_API_KEY, BENCH_RETRY } from '../contract';

/** A request the load generator sent (or meant to send). */
export interface SentRequest {
  readonly clientId: string;
  /** performance.now() at which it was due: latency is measured from here (open loop). */
  readonly intendedAt: number;
}

export interface OpenLoopOptions {
  readonly ingressUrl: string;
  readonly callbackUrl: string;
  /** Requests per second. */
  readonly rate: number;
  readonly durationMs: number;
  /** The target URL of request number `n` with client id `clientId`. */
  readonly urlFor: (clientId: string) => string;
  /** Prefix of client ids, unique per step. */
  readonly idPrefix: string;
  /** How often due requests are sent, as one batch (default 5 ms). */
  readonly tickMs?: number;
  /** Largest batch per POST (default 500). */
  readonly maxBatch?: number;
  /** POSTs in flight at most; due requests wait (their latency counts) beyond it (default 8). */
  readonly maxInFlightPosts?: number;
}

export interface OpenLoopResult {
  readonly sent: readonly SentRequest[];
  /** Requests the ingress refused or that could not be submitted (each counts as an anomaly). */
  readonly refused: number;
  /** Largest lag between a request being due and its POST starting (ms). */
  readonly maxSendLagMs: number;
}

const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });

/**
 * Sends `rate` requests per second for `durationMs`, open loop: arrival times are fixed in
 * advance and do not wait for the system, so a slow system cannot slow the load down — its
 * slowness shows up as latency, measured from each request's intended time. Due requests are
 * sent together every tick as one batch (the ingress contract is batched).
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const tickMs = options.tickMs ?? 5;
  const maxBatch = options.maxBatch ?? 500;
  const maxInFlight = options.maxInFlightPosts ?? 8;
  const total = Math.round((options.rate * options.durationMs) / 1000);
  const interval = 1000 / options.rate;
  const start = performance.now();
  const sent: SentRequest[] = [];
  const posts = new Set<Promise<void>>();
  let next = 0;
  let refused = 0;
  let maxSendLagMs = 0;

  const post = (batch: SentRequest[]): void => {
    const body = JSON.stringify({ requests: batch.map((r) => ({ url: options.urlFor(r.clientId), retry: BENCH_RETRY })), callback: { url: options.callbackUrl } });
    const work = undiciRequest(`${options.ingressUrl}/v1/requests`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' },
      body,
    })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode !== 202) refused += batch.length;
      })
      .catch(() => {
        refused += batch.length;
      })
      .finally(() => posts.delete(work));
    posts.add(work);
  };

  while (next < total) {
    const now = performance.now();
    while (posts.size < maxInFlight && next < total && start + next * interval <= now) {
      const batch: SentRequest[] = [];
      while (batch.length < maxBatch && next < total && start + next * interval <= now) {
        batch.push({ clientId: `${options.idPrefix}${next}`, intendedAt: start + next * interval });
        next++;
      }
      maxSendLagMs = Math.max(maxSendLagMs, now - (batch[0] as SentRequest).intendedAt);
      sent.push(...batch);
      post(batch);
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await Promise.all(posts);
  return { sent, refused, maxSendLagMs };
}

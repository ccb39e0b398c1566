import { request as undiciRequest, Agent } from 'undici';
import { BENCH_API_KEY, BENCH_RETRY } from '../contract';

/** A request the load generator sent (or meant to send). */
export interface SentRequest {
  readonly clientId: string;
  /** performance.now() at which it was due: latency is measured from here (open loop). */
  readonly intendedAt: number;
  /** performance.now() at which the ingress answered 202 for it; unset while not (or never) accepted. */
  acceptedAt?: number;
  /** Parc's id for it, from the 202 (to ask its status when it goes missing). */
  requestId?: string;
}

/** A constant rate for a while, or arrival times given one by one (a workload trace's). */
export type OpenLoopArrivals =
  | {
      /** Requests per second. */
      readonly rate: number;
      readonly durationMs: number;
    }
  | {
      /** When each request is due, ms after the start, ascending. */
      readonly arrivalsMs: readonly number[];
    };

export type OpenLoopOptions = OpenLoopArrivals & {
  readonly ingressUrl: string;
  readonly callbackUrl: string;
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
};

export interface OpenLoopResult {
  readonly sent: readonly SentRequest[];
  /** Requests the ingress refused or that could not be submitted (each counts as an anomaly). */
  readonly refused: number;
  /** Largest lag between a request being due and its POST starting (ms). */
  readonly maxSendLagMs: number;
}

const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });

/** How many requests, and when request `n` is due (ms after the start). */
function schedule(arrivals: OpenLoopArrivals): { total: number; dueMs: (n: number) => number } {
  if ('arrivalsMs' in arrivals) {
    const times = arrivals.arrivalsMs;
    return { total: times.length, dueMs: (n) => times[n] ?? Number.POSITIVE_INFINITY };
  }
  const interval = 1000 / arrivals.rate;
  return { total: Math.round((arrivals.rate * arrivals.durationMs) / 1000), dueMs: (n) => n * interval };
}

/**
 * Sends `rate` requests per second for `durationMs` (or one request at each of `arrivalsMs`),
 * open loop: arrival times are fixed in advance and do not wait for the system, so a slow system
 * cannot slow the load down — its slowness shows up as latency, measured from each request's
 * intended time. Due requests are sent together every tick as one batch (the ingress contract is
 * batched); each request records when its 202 came back.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const tickMs = options.tickMs ?? 5;
  const maxBatch = options.maxBatch ?? 500;
  const maxInFlight = options.maxInFlightPosts ?? 8;
  const { total, dueMs } = schedule(options);
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
        if (response.statusCode !== 202) {
          await response.body.dump();
          refused += batch.length;
          return;
        }
        const acceptedAt = performance.now();
        // The 202 lists the ids in the order sent.
        const { ids } = (await response.body.json().catch(() => ({}))) as { ids?: unknown };
        batch.forEach((sentRequest, i) => {
          sentRequest.acceptedAt = acceptedAt;
          const id = Array.isArray(ids) ? ids[i] : undefined;
          if (typeof id === 'string') sentRequest.requestId = id;
        });
      })
      .catch(() => {
        refused += batch.length;
      })
      .finally(() => posts.delete(work));
    posts.add(work);
  };

  while (next < total) {
    const now = performance.now();
    while (posts.size < maxInFlight && next < total && start + dueMs(next) <= now) {
      const batch: SentRequest[] = [];
      while (batch.length < maxBatch && next < total && start + dueMs(next) <= now) {
        batch.push({ clientId: `${options.idPrefix}${next}`, intendedAt: start + dueMs(next) });
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

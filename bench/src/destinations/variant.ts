/**
 * One variant of the destination bench: one batch of requests to the capacity target, all with
 * the variant's flow-control key, submitted in chunks; measured from the first submission to
 * the last callback.
 */
import { Agent, request } from 'undici';
import { BENCH_API_KEY } from '../contract';
import type { BenchReceiver } from '../load/receiver';
import { settling, type GatePoint, type VariantResult, type VariantSpec } from './analysis';
import { perSecond, type CapacityTarget, type TargetSample, type TargetSecond } from './target';

/** Requests per POST /v1/requests (the API's largest JSON batch). */
export const CHUNK = 1_000;
/** The retry policy of every request of the bench. */
export const DESTINATION_RETRY = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 2_000 } as const;
/** A variant still unfinished after this long is cancelled and reported incomplete. */
export const VARIANT_LIMIT_MS = 40 * 60_000;
/** How often the gate's view of the key is read. */
const GATE_POLL_MS = 250;

/** Everything recorded of a variant: its result, and the time series behind it. */
export interface VariantRecord extends VariantResult {
  readonly perSecond: readonly TargetSecond[];
  /** Per 100 ms: [ms since the first submission, mean in flight, max in flight] (calls being served). */
  readonly inFlight: readonly (readonly [number, number, number])[];
  /** Per 100 ms: [ms since the first submission, mean queued, max queued] (calls waiting at the target, shed mode). */
  readonly queued: readonly (readonly [number, number, number])[];
  readonly gateTimeline: readonly GatePoint[];
}

export interface VariantContext {
  readonly ingressUrl: string;
  readonly target: CapacityTarget;
  readonly receiver: BenchReceiver;
  readonly capacity: number;
  /** The target's latency per call, ms (C = capacity / latency). */
  readonly latencyMs: number;
  readonly requests: number;
  /** Distinguishes this run's keys from an earlier run's on the same Redis. */
  readonly runTag: string;
  readonly say: (line: string) => void;
}

const agent = new Agent({ connections: 8, keepAliveTimeout: 30_000 });
const headers = { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await request(url, { method: 'POST', dispatcher: agent, headers, body: JSON.stringify(body) });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.statusCode, json };
}

/** Reads the gate's view of `key` every 250 ms until stopped (a failed read is skipped). */
function pollGate(ingressUrl: string, key: string, started: number): { stop: () => Promise<GatePoint[]> } {
  const points: GatePoint[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const response = await request(`${ingressUrl}/v1/destinations/${encodeURIComponent(key)}`, { dispatcher: agent, headers: { authorization: headers.authorization } });
        if (response.statusCode === 200) {
          const view = (await response.body.json()) as { learnedLimit?: number; breaker: string; retryAfterUntil?: string; waiting: number; inFlight: number };
          points.push({
            tMs: Math.round(performance.now() - started),
            ...(view.learnedLimit === undefined ? {} : { learnedLimit: view.learnedLimit }),
            breaker: view.breaker,
            retryAfter: view.retryAfterUntil !== undefined && Date.parse(view.retryAfterUntil) > Date.now(),
            waiting: view.waiting,
            inFlight: view.inFlight,
          });
        } else {
          await response.body.dump();
        }
      } catch {
        // The proxy is busy or the route is missing: no point this time.
      }
      await sleep(GATE_POLL_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return points;
    },
  };
}

/** Runs one variant to its last callback (or its time limit) and measures it. */
export async function runVariant(context: VariantContext, spec: VariantSpec): Promise<VariantRecord> {
  const { target, receiver, say } = context;
  const key = `bench-${spec.id}-${context.runTag}`;
  const flowControl = { key, ...spec.limits };
  receiver.reset();
  target.startClock();
  const started = performance.now();
  const gate = pollGate(context.ingressUrl, key, started);
  const batchIds: string[] = [];
  let accepted = 0;
  let refused = 0;
  for (let from = 0; from < context.requests; from += CHUNK) {
    const count = Math.min(CHUNK, context.requests - from);
    const requests = Array.from({ length: count }, (_, i) => ({ url: target.urlFor(spec.id, `${spec.id}-${context.runTag}-${from + i}`) }));
    try {
      const { status, json } = await postJson(`${context.ingressUrl}/v1/requests`, { defaults: { flowControl, retry: DESTINATION_RETRY }, requests, callback: { url: receiver.url } });
      if (status === 202) {
        accepted += count;
        batchIds.push((json as { batchId: string }).batchId);
      } else {
        refused += count;
        say(`${spec.id}: chunk at ${from} refused with ${status}: ${JSON.stringify(json).slice(0, 300)}`);
      }
    } catch (error) {
      refused += count;
      say(`${spec.id}: chunk at ${from} not submitted: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const submitMs = performance.now() - started;
  say(`${spec.id}: ${accepted} requests submitted in ${(submitMs / 1000).toFixed(1)} s (key ${key}, flowControl ${JSON.stringify(spec.limits)})`);

  let lastReport = performance.now();
  while (receiver.results.size < accepted && performance.now() - started < VARIANT_LIMIT_MS) {
    await sleep(50);
    if (performance.now() - lastReport >= 10_000) {
      lastReport = performance.now();
      say(`${spec.id}: ${receiver.results.size}/${accepted} callbacks after ${((lastReport - started) / 1000).toFixed(0)} s; target in flight ${target.inFlight()}, queued ${target.queued()}`);
    }
  }
  const complete = receiver.results.size >= accepted && accepted > 0;
  const results = [...receiver.results.values()];
  const lastAt = results.reduce((latest, r) => Math.max(latest, r.at), started);
  const finishMs = complete ? lastAt - started : performance.now() - started;
  const samples: TargetSample[] = target.stopClock();
  const gateTimeline = await gate.stop();
  if (!complete) {
    say(`${spec.id}: not finished within ${VARIANT_LIMIT_MS / 60_000} min (${receiver.results.size}/${accepted}); cancelling its batches`);
    for (const id of batchIds) await request(`${context.ingressUrl}/v1/batches/${id}`, { method: 'DELETE', dispatcher: agent, headers: { authorization: headers.authorization } }).then((r) => r.body.dump(), () => undefined);
  }

  const sums = samples.reduce(
    (sum, s) => ({
      calls: sum.calls + s.calls,
      ok: sum.ok + s.ok,
      tooMany: sum.tooMany + s.tooMany,
      aborted: sum.aborted + s.aborted,
      maxInFlight: Math.max(sum.maxInFlight, s.maxInFlight),
      maxQueued: Math.max(sum.maxQueued, s.maxQueued),
      latencySumMs: sum.latencySumMs + s.meanLatencyMs * s.ok,
    }),
    { calls: 0, ok: 0, tooMany: 0, aborted: 0, maxInFlight: 0, maxQueued: 0, latencySumMs: 0 },
  );
  const { latencySumMs, ...counted } = sums;
  const totals = { ...counted, meanLatencyMs: sums.ok > 0 ? Math.round((latencySumMs / sums.ok) * 10) / 10 : 0 };
  const attempts = results.reduce((sum, r) => sum + r.attempts, 0);
  const succeeded = results.filter((r) => r.status === 'succeeded').length;
  const limits = gateTimeline.map((p) => p.learnedLimit).filter((limit): limit is number => limit !== undefined);
  let breakerOpenings = 0;
  gateTimeline.forEach((p, i) => {
    if (p.breaker === 'open' && gateTimeline[i - 1]?.breaker !== 'open') breakerOpenings++;
  });
  return {
    id: spec.id,
    title: spec.title,
    key,
    flowControl,
    requests: context.requests,
    submitMs: Math.round(submitMs),
    refused,
    complete,
    finishMs: Math.round(finishMs),
    callbacks: results.length,
    succeeded,
    failed: results.length - succeeded,
    duplicates: results.reduce((sum, r) => sum + r.deliveries - 1, 0),
    anomalies: receiver.anomalies(),
    attempts,
    attemptsPerRequest: results.length > 0 ? Math.round((attempts / results.length) * 100) / 100 : 0,
    target: totals,
    overloadShare: totals.calls > 0 ? (totals.tooMany + totals.aborted) / totals.calls : 0,
    settling: settling(samples, context.capacity, context.latencyMs),
    gate: {
      ...(limits.length > 0 ? { maxLearnedLimit: Math.max(...limits), lastLearnedLimit: limits[limits.length - 1] as number } : {}),
      breakerOpenings,
      retryAfterShare: gateTimeline.length > 0 ? gateTimeline.filter((p) => p.retryAfter).length / gateTimeline.length : 0,
      maxWaiting: gateTimeline.reduce((most, p) => Math.max(most, p.waiting), 0),
      polls: gateTimeline.length,
    },
    perSecond: perSecond(samples),
    inFlight: samples.map((s) => [Math.round(s.tMs), Math.round(s.meanInFlight * 10) / 10, s.maxInFlight] as const),
    queued: samples.map((s) => [Math.round(s.tMs), Math.round(s.meanQueued * 10) / 10, s.maxQueued] as const),
    gateTimeline,
  };
}

/** After a variant: wait until the receiver and the target have been quiet for 3 s (at most 60 s). */
export async function quiet(context: Pick<VariantContext, 'receiver' | 'target'>): Promise<void> {
  let still = 0;
  let last = -1;
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline && still < 3) {
    await sleep(1_000);
    const seen = context.receiver.results.size;
    still = seen === last && context.target.inFlight() === 0 && context.target.queued() === 0 ? still + 1 : 0;
    last = seen;
  }
}

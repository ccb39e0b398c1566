/**
 * What a destination-bench variant's samples say: when the target's 2xx rate reached its capacity
 * C = N / latency and stayed there, how full it kept the target (served and queued), how much of
 * the load it turned away, and the targets met or missed.
 */
import { type TargetSample } from './target';

/** A variant's flow control, as submitted (the key is added per variant). */
export interface VariantSpec {
  /** a, b, c, d: the report's names. */
  readonly id: VariantId;
  readonly title: string;
  /** `flowControl` without its key; empty: the key only. */
  readonly limits: { readonly parallelism?: number; readonly adaptive?: boolean };
}

/** The four variants for a capacity of N calls in flight. */
export const DESTINATION_VARIANT_IDS = ['a', 'b', 'c', 'd'] as const;
export type VariantId = (typeof DESTINATION_VARIANT_IDS)[number];

export function isVariantId(value: string): value is VariantId {
  return (DESTINATION_VARIANT_IDS as readonly string[]).includes(value);
}

export function variantsFor(capacity: number): VariantSpec[] {
  const low = Math.max(1, Math.floor(capacity / 2));
  return [
    { id: 'a', title: 'no limit (key only)', limits: {} },
    { id: 'b', title: `parallelism ${low} (N/2, too low)`, limits: { parallelism: low } },
    { id: 'c', title: `parallelism ${capacity} (N, right)`, limits: { parallelism: capacity } },
    { id: 'd', title: `adaptive, ceiling ${4 * capacity} (4N)`, limits: { adaptive: true, parallelism: 4 * capacity } },
  ];
}

/** The target's capacity in 2xx per second, C = N / latency; undefined for a latency of 0 (no ceiling to judge against). */
export function capacityRate(capacity: number, latencyMs: number): number | undefined {
  return latencyMs > 0 ? capacity / (latencyMs / 1000) : undefined;
}

/** How close to capacity, and for how long, the variant kept the target. */
export interface Settling {
  /** C = N / latency, 2xx per second (absent for a latency of 0: then nothing below is judged on throughput). */
  readonly capacityRate?: number;
  /**
   * ms from the first submission to the end of the first 1-second window (sliding by sample)
   * whose 2xx count was ≥ 90 % of C.
   */
  readonly firstReachedMs?: number;
  /**
   * ms from the first submission until the 2xx rate reached ≥ 90 % of C and stayed there: the end
   * of the first sample whose 1-second trailing 2xx rate was ≥ 90 % of C and from which, to the
   * steady window's end, the 3-second trailing mean of that rate (counted from this sample on)
   * never fell below 90 % of C — an isolated dip the 3-second mean absorbs is allowed.
   * Undefined: it never did.
   */
  readonly settledMs?: number;
  /** End of the steady window: when 95 % of the 2xx answers had been given (the batch's tail, where the backlog runs out, is left out). */
  readonly steadyEndMs: number;
  /** 2xx per second over the steady window. */
  readonly okRate: number;
  /** Share of the steady window (time) whose 1-second trailing 2xx rate was ≥ 90 % of C. */
  readonly shareAtRate: number;
  /** Share of the steady window's samples whose mean in flight (being served) was ≥ 90 % of N. */
  readonly shareAtCapacity: number;
  /** Calls being served, mean over the steady window (time-weighted). */
  readonly meanInFlight: number;
  /** Calls waiting in the target's queue, mean over the steady window (time-weighted). */
  readonly meanQueued: number;
}

/** The share of capacity that counts as "at capacity". */
export const AT_CAPACITY = 0.9;
/** The trailing window of the 2xx rate, ms. */
export const RATE_WINDOW_MS = 1_000;
/** The trailing window over which "stays" is judged (the mean of the 1-second rate over it), ms. */
export const STAY_WINDOW_MS = 3_000;

/**
 * For each sample, the index of the first sample of its trailing window of `windowMs` (a sample
 * is in when at least half of it falls within the window), and the time the window covers.
 */
function trailingWindows(samples: readonly TargetSample[], windowMs: number): { start: number[]; covered: number[] } {
  const start: number[] = [];
  const covered: number[] = [];
  let from = 0;
  let time = 0;
  samples.forEach((s, i) => {
    time += s.durationMs;
    while (from < i && time - (samples[from] as TargetSample).durationMs / 2 > windowMs) {
      time -= (samples[from] as TargetSample).durationMs;
      from++;
    }
    start.push(from);
    covered.push(time);
  });
  return { start, covered };
}

/**
 * Per sample, the 1-second trailing 2xx rate (per second): the 2xx of the samples in the window
 * over the time they cover (within the first second, over a whole second: the time before the
 * first submission counts as nothing).
 */
export function trailingOkRate(samples: readonly TargetSample[]): number[] {
  const { start, covered } = trailingWindows(samples, RATE_WINDOW_MS);
  const okBefore = [0];
  samples.forEach((s, i) => okBefore.push((okBefore[i] as number) + s.ok));
  return samples.map((s, i) => {
    const ok = (okBefore[i + 1] as number) - (okBefore[start[i] as number] as number);
    // Within the first second the window reaches back before the clock started: a whole second.
    return (ok / (s.tMs < RATE_WINDOW_MS ? RATE_WINDOW_MS : (covered[i] as number))) * 1000;
  });
}

export function settling(samples: readonly TargetSample[], capacity: number, latencyMs: number): Settling {
  const rateC = capacityRate(capacity, latencyMs);
  const totalOk = samples.reduce((sum, s) => sum + s.ok, 0);
  let cumulative = 0;
  let endIndex = samples.length - 1;
  for (let i = 0; i < samples.length; i++) {
    cumulative += (samples[i] as TargetSample).ok;
    if (cumulative >= 0.95 * totalOk) {
      endIndex = i;
      break;
    }
  }
  const steady = samples.slice(0, endIndex + 1);
  const steadyEndMs = steady[steady.length - 1]?.tMs ?? 0;
  const time = steady.reduce((sum, s) => sum + s.durationMs, 0);
  const weighted = (value: (s: TargetSample) => number): number => (time > 0 ? Math.round((steady.reduce((sum, s) => sum + value(s) * s.durationMs, 0) / time) * 10) / 10 : 0);
  const inFlightThreshold = AT_CAPACITY * capacity;
  const base = {
    steadyEndMs: Math.round(steadyEndMs),
    okRate: time > 0 ? Math.round((steady.reduce((sum, s) => sum + s.ok, 0) / time) * 1000 * 10) / 10 : 0,
    shareAtCapacity: steady.length === 0 ? 0 : steady.filter((s) => s.meanInFlight >= inFlightThreshold).length / steady.length,
    meanInFlight: weighted((s) => s.meanInFlight),
    meanQueued: weighted((s) => s.meanQueued),
  };
  if (rateC === undefined) return { ...base, shareAtRate: 0 };

  const threshold = AT_CAPACITY * rateC;
  const rate = trailingOkRate(samples);
  const firstIndex = rate.findIndex((r) => r >= threshold);
  const steadyRate = rate.slice(0, steady.length);
  const atRateTime = steady.reduce((sum, s, i) => sum + ((steadyRate[i] as number) >= threshold ? s.durationMs : 0), 0);

  // "Stays": the time-weighted mean of the 1-second rate over the trailing 3 s, counted from the
  // candidate start on, is ≥ the threshold at every sample to the steady window's end.
  const stay = trailingWindows(steady, STAY_WINDOW_MS).start;
  const areaBefore = [0];
  const timeBefore = [0];
  steady.forEach((s, i) => {
    areaBefore.push((areaBefore[i] as number) + (steadyRate[i] as number) * s.durationMs);
    timeBefore.push((timeBefore[i] as number) + s.durationMs);
  });
  const meanRate = (from: number, to: number): number => {
    const span = (timeBefore[to + 1] as number) - (timeBefore[from] as number);
    return span > 0 ? ((areaBefore[to + 1] as number) - (areaBefore[from] as number)) / span : (steadyRate[to] as number);
  };
  // holdsFrom[j]: every sample from j on has its whole (unclipped) 3-second mean ≥ the threshold.
  const holdsFrom: boolean[] = new Array<boolean>(steady.length + 1).fill(true);
  for (let j = steady.length - 1; j >= 0; j--) holdsFrom[j] = (holdsFrom[j + 1] as boolean) && meanRate(stay[j] as number, j) >= threshold;
  let settledIndex: number | undefined;
  for (let s = 0; s < steady.length && settledIndex === undefined; s++) {
    let j = s;
    let ok = true;
    // Samples whose 3-second window reaches back before s: their mean is counted from s on.
    for (; j < steady.length && (stay[j] as number) < s; j++) {
      if (meanRate(s, j) < threshold) {
        ok = false;
        break;
      }
    }
    if (ok && holdsFrom[j]) settledIndex = s;
  }
  return {
    capacityRate: rateC,
    ...(firstIndex >= 0 ? { firstReachedMs: Math.round((samples[firstIndex] as TargetSample).tMs) } : {}),
    ...(settledIndex === undefined ? {} : { settledMs: Math.round((steady[settledIndex] as TargetSample).tMs) }),
    ...base,
    shareAtRate: time > 0 ? atRateTime / time : 0,
  };
}

/** What the gate showed of the variant's key, polled every 250 ms through `GET /v1/destinations/:key`. */
export interface GatePoint {
  readonly tMs: number;
  readonly learnedLimit?: number;
  readonly breaker: string;
  readonly retryAfter: boolean;
  readonly waiting: number;
  readonly inFlight: number;
}

/** One variant's measurements. */
export interface VariantResult {
  readonly id: VariantSpec['id'];
  readonly title: string;
  readonly key: string;
  readonly flowControl: Readonly<Record<string, string | number | boolean>>;
  readonly requests: number;
  /** Submission of every chunk, ms (from the first POST to the last 202). */
  readonly submitMs: number;
  /** Submissions refused (not 202), in requests. */
  readonly refused: number;
  /** Every request's callback arrived before the variant's time limit. */
  readonly complete: boolean;
  /** First submission → last callback, ms (to the time limit when incomplete). */
  readonly finishMs: number;
  readonly callbacks: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly duplicates: number;
  readonly anomalies: number;
  /** Sum of `attempts.length` over the final results, and per request. */
  readonly attempts: number;
  readonly attemptsPerRequest: number;
  /**
   * What the target saw: calls, answers, the most calls served and queued at once, and the mean
   * latency of its 2xx answers (arrival → answer, queueing included), ms.
   */
  readonly target: {
    readonly calls: number;
    readonly ok: number;
    readonly tooMany: number;
    readonly aborted: number;
    readonly maxInFlight: number;
    readonly maxQueued: number;
    readonly meanLatencyMs: number;
  };
  /** (429 + abandoned calls) / calls at the target. */
  readonly overloadShare: number;
  readonly settling: Settling;
  /** From the gate's view of the key. */
  readonly gate: { readonly maxLearnedLimit?: number; readonly lastLearnedLimit?: number; readonly breakerOpenings: number; readonly retryAfterShare: number; readonly maxWaiting: number; readonly polls: number };
}

export type TargetStatus = 'met' | 'missed' | 'unmeasured';

export interface DestinationTarget {
  readonly target: string;
  readonly value: string;
  readonly threshold: string;
  readonly status: TargetStatus;
  /** How far from the threshold, in words. */
  readonly margin: string;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const percent = (fraction: number): string => `${(fraction * 100).toFixed(2)} %`;

/** The targets for the adaptive variant (d), against the others. */
export function destinationTargets(results: readonly VariantResult[]): DestinationTarget[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const [a, b, c, d] = DESTINATION_VARIANT_IDS.map((id) => byId.get(id));
  const out: DestinationTarget[] = [];
  const unmeasured = (target: string, threshold: string, why: string): DestinationTarget => ({ target, value: '—', threshold, status: 'unmeasured', margin: why });

  const settleTarget = 'adaptive reaches ≥ 90 % of capacity C in 2xx/s (and stays) within 10 s';
  if (!d) out.push(unmeasured(settleTarget, '≤ 10 s', 'variant d did not run'));
  else if (d.settling.capacityRate === undefined) out.push(unmeasured(settleTarget, '≤ 10 s', 'the target has no latency, so no capacity C = N / latency to judge against'));
  else if (d.settling.settledMs === undefined) {
    const first = d.settling.firstReachedMs === undefined ? 'never' : seconds(d.settling.firstReachedMs);
    out.push({
      target: settleTarget,
      value: 'never',
      threshold: '≤ 10 s',
      status: 'missed',
      margin: `never stayed ≥ ${(AT_CAPACITY * d.settling.capacityRate).toFixed(0)} 2xx/s (steady window: ${d.settling.okRate.toFixed(0)} 2xx/s, ${(d.settling.shareAtRate * 100).toFixed(0)} % of the time at ≥ 90 % of C; first reached ${first})`,
    });
  } else {
    const ms = d.settling.settledMs;
    out.push({ target: settleTarget, value: seconds(ms), threshold: '≤ 10 s', status: ms <= 10_000 ? 'met' : 'missed', margin: ms <= 10_000 ? `${seconds(10_000 - ms)} to spare` : `${seconds(ms - 10_000)} late` });
  }

  const overloadTarget = "adaptive's overload answers ≤ 2 % of calls";
  if (!d) out.push(unmeasured(overloadTarget, '≤ 2 %', 'variant d did not run'));
  else out.push({ target: overloadTarget, value: percent(d.overloadShare), threshold: '≤ 2 %', status: d.overloadShare <= 0.02 ? 'met' : 'missed', margin: d.overloadShare <= 0.02 ? `${percent(0.02 - d.overloadShare)} below` : `${(d.overloadShare / 0.02).toFixed(1)}× the limit` });

  const nearTarget = 'adaptive finishes within 10 % of (c)';
  if (!d || !c || !d.complete || !c.complete) out.push(unmeasured(nearTarget, '≤ 1.10 × (c)', 'a variant did not finish'));
  else {
    const ratio = d.finishMs / c.finishMs;
    out.push({ target: nearTarget, value: `${seconds(d.finishMs)} vs ${seconds(c.finishMs)} (${ratio.toFixed(2)}×)`, threshold: '≤ 1.10 × (c)', status: ratio <= 1.1 ? 'met' : 'missed', margin: ratio <= 1.1 ? `${((1.1 - ratio) * 100).toFixed(0)} points to spare` : `${((ratio - 1) * 100).toFixed(0)} % slower than (c)` });
  }

  const fasterTarget = 'adaptive finishes faster than (b)';
  if (!d || !b || !d.complete) out.push(unmeasured(fasterTarget, '< (b)', 'a variant did not run or (d) did not finish'));
  else {
    const met = d.finishMs < b.finishMs;
    out.push({ target: fasterTarget, value: `${seconds(d.finishMs)} vs ${seconds(b.finishMs)}${b.complete ? '' : ' (b incomplete)'}`, threshold: '< (b)', status: met ? 'met' : 'missed', margin: `${(d.finishMs / b.finishMs).toFixed(2)}× (b)'s time` });
  }

  const attemptsTarget = 'adaptive uses fewer attempts than (a)';
  if (!d || !a) out.push(unmeasured(attemptsTarget, '< (a)', 'a variant did not run'));
  else {
    const met = d.attempts < a.attempts;
    out.push({ target: attemptsTarget, value: `${d.attempts} vs ${a.attempts}`, threshold: '< (a)', status: met ? 'met' : 'missed', margin: a.attempts === 0 ? '—' : met ? `${((1 - d.attempts / a.attempts) * 100).toFixed(0)} % fewer` : `${((d.attempts / a.attempts - 1) * 100).toFixed(0)} % more` });
  }
  return out;
}

/**
 * What a destination-bench variant's samples say: when the target's in-flight count settled near
 * its capacity, how much of the load it turned away, and the targets met or missed.
 */
import type { TargetSample } from './target';

/** A variant's flow control, as submitted (the key is added per variant). */
export interface VariantSpec {
  /** a, b, c, d: the report's names. */
  readonly id: 'a' | 'b' | 'c' | 'd';
  readonly title: string;
  /** `flowControl` without its key; empty: the key only. */
  readonly limits: { readonly parallelism?: number; readonly adaptive?: boolean };
}

/** The four variants for a capacity of N calls in flight. */
export function variantsFor(capacity: number): VariantSpec[] {
  return [
    { id: 'a', title: 'no limit (key only)', limits: {} },
    { id: 'b', title: `parallelism ${Math.max(1, Math.floor(capacity / 4))} (N/4, too low)`, limits: { parallelism: Math.max(1, Math.floor(capacity / 4)) } },
    { id: 'c', title: `parallelism ${capacity} (N, right)`, limits: { parallelism: capacity } },
    { id: 'd', title: `adaptive, ceiling ${4 * capacity} (4N)`, limits: { adaptive: true, parallelism: 4 * capacity } },
  ];
}

/** How close to capacity, and for how long, the variant kept the target. */
export interface Settling {
  /** ms from the first submission to the first 100 ms sample whose mean in flight was ≥ 90 % of N. */
  readonly firstReachedMs?: number;
  /**
   * ms from the first submission until the in-flight count reached ≥ 90 % of N and stayed there:
   * the end of the first sample from which the 1-second trailing mean never fell below 90 % of N
   * again until the steady window's end. Undefined: it never did.
   */
  readonly settledMs?: number;
  /** End of the steady window: when 95 % of the 2xx answers had been given (the batch's tail, where the backlog runs out, is left out). */
  readonly steadyEndMs: number;
  /** Share of the steady window's samples whose mean in flight was ≥ 90 % of N. */
  readonly shareAtCapacity: number;
  /** Mean in flight over the steady window (time-weighted). */
  readonly meanInFlight: number;
}

/** The share of capacity that counts as "at capacity". */
export const AT_CAPACITY = 0.9;
/** The trailing window over which "stays there" is judged, in samples. */
const TRAILING_SAMPLES = 10;

export function settling(samples: readonly TargetSample[], capacity: number): Settling {
  const threshold = AT_CAPACITY * capacity;
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
  const first = samples.find((s) => s.meanInFlight >= threshold);
  // Trailing 1-second mean (time-weighted) per sample.
  const trailing = steady.map((_, i) => {
    const window = steady.slice(Math.max(0, i - TRAILING_SAMPLES + 1), i + 1);
    const time = window.reduce((sum, s) => sum + s.durationMs, 0);
    return time > 0 ? window.reduce((sum, s) => sum + s.meanInFlight * s.durationMs, 0) / time : 0;
  });
  let settledIndex: number | undefined;
  for (let i = trailing.length - 1; i >= 0; i--) {
    if ((trailing[i] as number) < threshold) break;
    settledIndex = i;
  }
  const time = steady.reduce((sum, s) => sum + s.durationMs, 0);
  return {
    ...(first ? { firstReachedMs: Math.round(first.tMs) } : {}),
    ...(settledIndex === undefined ? {} : { settledMs: Math.round((steady[settledIndex] as TargetSample).tMs) }),
    steadyEndMs: Math.round(steadyEndMs),
    shareAtCapacity: steady.length === 0 ? 0 : steady.filter((s) => s.meanInFlight >= threshold).length / steady.length,
    meanInFlight: time > 0 ? Math.round((steady.reduce((sum, s) => sum + s.meanInFlight * s.durationMs, 0) / time) * 10) / 10 : 0,
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
  /** What the target saw. */
  readonly target: { readonly calls: number; readonly ok: number; readonly tooMany: number; readonly aborted: number; readonly maxInFlight: number };
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
  const [a, b, c, d] = (['a', 'b', 'c', 'd'] as const).map((id) => byId.get(id));
  const out: DestinationTarget[] = [];
  const unmeasured = (target: string, threshold: string, why: string): DestinationTarget => ({ target, value: '—', threshold, status: 'unmeasured', margin: why });

  const settleTarget = 'adaptive reaches ≥ 90 % of capacity (and stays) within 10 s';
  if (!d) out.push(unmeasured(settleTarget, '≤ 10 s', 'variant d did not run'));
  else if (d.settling.settledMs === undefined) {
    out.push({ target: settleTarget, value: 'never', threshold: '≤ 10 s', status: 'missed', margin: `never stayed ≥ 90 % of N (mean in flight ${d.settling.meanInFlight}; first reached ${d.settling.firstReachedMs === undefined ? 'never' : seconds(d.settling.firstReachedMs)})` });
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

/**
 * The scaling bench's measures of one configuration's run, from per-request times (seconds from
 * the load's start; NaN where it did not happen): requests offered, accepted and completed per
 * second, the backlog over time and its integral (backlog-seconds), the time to catch up after
 * each step and spike, and integrals of step series (process-seconds). Pure.
 */
import type { LoadEvent } from './workload';

/** Per request, seconds from the load's start; NaN where it did not happen (refused, not yet called back). */
export interface RequestTimes {
  /** When the open loop meant to send it. */
  readonly offeredS: readonly number[];
  /** When the ingress answered 202. */
  readonly acceptedS: readonly number[];
  /** When its callback (the final result) first arrived. */
  readonly calledBackS: readonly number[];
}

/** How many of `timesS` fall in each whole second [k, k + 1), for k < `seconds`. */
export function perSecond(timesS: readonly number[], seconds: number): number[] {
  const counts = new Array<number>(Math.max(0, Math.ceil(seconds))).fill(0);
  for (const t of timesS) {
    if (!Number.isFinite(t) || t < 0) continue;
    const k = Math.floor(t);
    if (k < counts.length) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** A request's callback can reach the receiver a moment before its 202 reaches the client: acceptance is then the callback's time. */
function acceptedAt(times: RequestTimes, i: number): number {
  const accepted = times.acceptedS[i] ?? Number.NaN;
  const calledBack = times.calledBackS[i] ?? Number.NaN;
  return Number.isFinite(calledBack) && calledBack < accepted ? calledBack : accepted;
}

/**
 * Backlog-seconds up to `endS`: the integral over time of the requests accepted and not yet
 * called back — each accepted request counts from its 202 until its callback (or `endS`).
 */
export function backlogSeconds(times: RequestTimes, endS: number): number {
  let total = 0;
  for (let i = 0; i < times.acceptedS.length; i++) {
    const from = acceptedAt(times, i);
    if (!Number.isFinite(from) || from >= endS) continue;
    const calledBack = times.calledBackS[i] ?? Number.NaN;
    total += Math.min(Number.isFinite(calledBack) ? calledBack : endS, endS) - from;
  }
  return total;
}

/** The backlog (accepted, not yet called back) at t = 0, `stepS`, 2·`stepS`, … up to `endS`. */
export function backlogSeries(times: RequestTimes, endS: number, stepS = 1): number[] {
  const count = Math.floor(endS / stepS) + 1;
  const delta = new Array<number>(count + 1).fill(0);
  // A request is in the backlog at the samples from its acceptance (included) to its callback (excluded).
  const bump = (tS: number, by: number): void => {
    if (!Number.isFinite(tS) || tS > endS) return;
    const index = Math.max(0, Math.ceil(tS / stepS));
    if (index < count) delta[index] = (delta[index] ?? 0) + by;
  };
  for (let i = 0; i < times.acceptedS.length; i++) {
    const from = acceptedAt(times, i);
    if (!Number.isFinite(from)) continue;
    bump(from, 1);
    bump(times.calledBackS[i] ?? Number.NaN, -1);
  }
  const series: number[] = [];
  let level = 0;
  for (let k = 0; k < count; k++) {
    level += delta[k] ?? 0;
    series.push(level);
  }
  return series;
}

/** How the backlog behaved around one step or spike. */
export interface CatchUp {
  readonly kind: LoadEvent['kind'];
  readonly startS: number;
  readonly endS: number;
  readonly peakRate: number;
  /** Mean backlog over the `lookbackS` before the event. */
  readonly preLevel: number;
  /** Backlog at or below which it counts as back (see `CatchUpOptions`). */
  readonly threshold: number;
  readonly peakBacklog: number;
  /** Seconds from the event's end until the backlog was back at or below `threshold`; undefined if it never was (see `notCaughtUp`). */
  readonly caughtUpAfterS?: number;
  /** Why there is no catch-up time: the next event began first, or the run ended. */
  readonly notCaughtUp?: 'next-event' | 'end-of-run';
  /** When the next event begins (or the run ends): the longest the catch-up could have taken here. */
  readonly horizonS: number;
}

export interface CatchUpOptions {
  /** The pre-event level is the mean backlog over this long before it. */
  readonly lookbackS: number;
  /** Back means at most pre-level × `relative` + `absolute` (a backlog is never exactly flat). */
  readonly relative: number;
  readonly absolute: number;
}

export const DEFAULT_CATCH_UP: CatchUpOptions = { lookbackS: 10, relative: 1.25, absolute: 10 };

/**
 * For each step or spike: the time from its end until the backlog (sampled once a second,
 * `backlog[k]` at k s) is back to its level before the event began. The backlog cannot be back
 * while the event lasts (more requests are in calls at a higher rate), so the time counts from
 * the event's end; it is undefined when the next event begins or the run ends first.
 */
export function catchUpTimes(backlog: readonly number[], events: readonly LoadEvent[], options: CatchUpOptions = DEFAULT_CATCH_UP): CatchUp[] {
  const endOfRun = backlog.length - 1;
  return events.map((event, index) => {
    const from = Math.max(0, Math.floor(event.startS - options.lookbackS));
    const before = backlog.slice(from, Math.max(from + 1, Math.floor(event.startS)));
    const preLevel = before.reduce((sum, value) => sum + value, 0) / Math.max(1, before.length);
    const threshold = preLevel * options.relative + options.absolute;
    const next = events[index + 1];
    const horizon = Math.min(next === undefined ? endOfRun : next.startS, endOfRun);
    const during = backlog.slice(Math.floor(event.startS), Math.ceil(horizon) + 1);
    const peakBacklog = Math.max(0, ...during);
    let caughtUp: number | undefined;
    for (let k = Math.ceil(event.endS); k <= horizon; k++) {
      if ((backlog[k] ?? Number.POSITIVE_INFINITY) <= threshold) {
        caughtUp = k - event.endS;
        break;
      }
    }
    const base = { kind: event.kind, startS: event.startS, endS: event.endS, peakRate: event.peakRate, preLevel, threshold, peakBacklog, horizonS: horizon - event.endS };
    if (caughtUp !== undefined) return { ...base, caughtUpAfterS: caughtUp };
    return { ...base, notCaughtUp: next !== undefined && next.startS <= endOfRun ? 'next-event' : 'end-of-run' };
  });
}

/** The integral of a step function given as [tS, value] points (each value holds until the next point), from the first point to `endS`. */
export function stepIntegral(points: readonly (readonly [number, number])[], endS: number): number {
  let total = 0;
  points.forEach(([tS, value], index) => {
    const until = Math.min(points[index + 1]?.[0] ?? endS, endS);
    if (until > tS) total += value * (until - tS);
  });
  return total;
}

/** The rate of a cumulative counter between samples: [tS, per second] at each sample after the first. */
export function ratesOf(cumulative: readonly (readonly [number, number])[]): [number, number][] {
  const rates: [number, number][] = [];
  for (let i = 1; i < cumulative.length; i++) {
    const [t0, v0] = cumulative[i - 1] as readonly [number, number];
    const [t1, v1] = cumulative[i] as readonly [number, number];
    if (t1 > t0) rates.push([t1, (v1 - v0) / (t1 - t0)]);
  }
  return rates;
}

/** The value of a cumulative counter at `tS`, linearly between the samples around it (the first or last sample beyond them). */
export function cumulativeAt(cumulative: readonly (readonly [number, number])[], tS: number): number {
  const after = cumulative.findIndex(([t]) => t >= tS);
  if (after < 0) return cumulative[cumulative.length - 1]?.[1] ?? 0;
  const [t1, v1] = cumulative[after] as readonly [number, number];
  const previous = cumulative[after - 1];
  if (previous === undefined || t1 === tS) return v1;
  const [t0, v0] = previous;
  return v0 + ((v1 - v0) * (tS - t0)) / (t1 - t0);
}

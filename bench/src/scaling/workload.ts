/**
 * The live run's workload from a simulator trace (bench/simulate/trace.ts): the arrival times the
 * open-loop generator sends at, the trace's steps and spikes (for the catch-up times), and where
 * its load ends. Pure.
 */
import { durationS, rateAt, type Trace } from '../../simulate/trace';

/** The trace with every rate multiplied by `factor` (a machine that carries more or less). */
export function scaleTrace(trace: Trace, factor: number): Trace {
  if (factor === 1) return trace;
  return { ...trace, description: `${trace.description} Rates × ${factor}.`, points: trace.points.map(([t, rate]) => [t, rate * factor] as const) };
}

/**
 * When each request is due, ms from the start: evenly spread by the trace's rate (the n-th
 * request when the area under the rate reaches n + ½), worked out per millisecond. The simulator
 * draws Poisson arrivals around the same line; here the generator is deterministic, as the
 * matrix's open loop is.
 */
export function arrivalTimesMs(trace: Trace): number[] {
  const times: number[] = [];
  let needed = 0.5;
  const endMs = Math.round(durationS(trace) * 1000);
  for (let ms = 0; ms < endMs; ms++) {
    const perMs = rateAt(trace, (ms + 0.5) / 1000) / 1000;
    if (perMs <= 0) continue;
    let at = 0;
    // Several requests may fall in one millisecond (above 1,000/s): each where the area reaches it.
    while (perMs * (1 - at) >= needed) {
      at += needed / perMs;
      times.push(ms + at);
      needed = 1;
    }
    needed -= perMs * (1 - at);
  }
  return times;
}

/** A rise of the load above its base: a step (long) or a spike (short). */
export interface LoadEvent {
  readonly kind: 'step' | 'spike';
  readonly startS: number;
  readonly endS: number;
  /** Highest rate within it. */
  readonly peakRate: number;
}

/** Events of at least this long are steps; shorter ones spikes. */
export const STEP_MIN_S = 30;

/**
 * The intervals in which the trace's rate is above its base (its rate at t = 0), at a tenth of a
 * second's resolution: every step and spike, in time order.
 */
export function loadEvents(trace: Trace): LoadEvent[] {
  const base = rateAt(trace, 0);
  const events: LoadEvent[] = [];
  let open: { startS: number; peakRate: number } | undefined;
  const tenths = Math.round(durationS(trace) * 10);
  for (let i = 0; i <= tenths; i++) {
    const tS = i / 10;
    const rate = i === tenths ? base : rateAt(trace, tS + 0.05);
    if (rate > base + 1e-9) {
      if (open) open.peakRate = Math.max(open.peakRate, rate);
      else open = { startS: tS, peakRate: rate };
    } else if (open) {
      events.push({ kind: tS - open.startS >= STEP_MIN_S ? 'step' : 'spike', startS: open.startS, endS: tS, peakRate: open.peakRate });
      open = undefined;
    }
  }
  return events;
}

/** When the load ends: where the line reaches zero for good after its last positive rate (the trace's end if it never does). */
export function loadEndS(trace: Trace): number {
  const { points } = trace;
  let last = -1;
  points.forEach(([, rate], index) => {
    if (rate > 0) last = index;
  });
  if (last < 0) return 0;
  // A jump to zero shares the positive point's time; a ramp reaches zero at the next point.
  return points[last + 1]?.[0] ?? durationS(trace);
}

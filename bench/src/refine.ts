/**
 * Refining the knee. The staircase's steps are 20–100 % apart, so its knee says little about
 * where between two steps a system tips over. After the first unstable step, the cell bisects
 * between the last stable rate and the first unstable one — each probe a normal step, with the
 * same duration, drain and stability rules — until the knee is known within a tolerance (10 %)
 * or the probe budget is spent. A VOID probe (its ledger does not balance) counts as unstable:
 * a VOID step is never a knee.
 *
 * The decision is a pure function of the bounds and the outcomes so far (`nextProbe`), so that
 * it is tested without running anything; `refineKnee` drives it with a probe callback.
 */

/** Where the knee lies: `stable` was run stable (and not VOID), `unstable` was not. */
export interface KneeBracket {
  readonly stable: number;
  readonly unstable: number;
}

export interface RefineOptions {
  /** Stop once (unstable − stable) / stable is at most this: 0.1 = the knee known within 10 %. */
  readonly tolerance: number;
  /** At most this many probes per cell (each costs a step, and a settle after an unstable one). */
  readonly maxProbes: number;
  /** Probe rates are rounded to a multiple of this (requests/s). */
  readonly granularity: number;
}

export const DEFAULT_REFINE: RefineOptions = { tolerance: 0.1, maxProbes: 4, granularity: 10 };

/** One step's or probe's result: `stable` is true only for a stable step whose ledger balances. */
export interface ProbeOutcome {
  readonly rate: number;
  readonly stable: boolean;
}

export type RefineStop = 'resolved' | 'probe budget spent' | 'no rate left between the bounds';

export type RefineDecision =
  | { readonly action: 'probe'; readonly rate: number; readonly bracket: KneeBracket }
  | { readonly action: 'stop'; readonly reason: RefineStop; readonly bracket: KneeBracket };

// (unstable − stable) / stable is computed in floating point: 10 % must stop at 1,000 → 1,100.
const EPSILON = 1e-9;

/** (unstable − stable) / stable: how far apart the bounds are, relative to the stable one. */
export function relativeGap(bracket: KneeBracket): number {
  return (bracket.unstable - bracket.stable) / bracket.stable;
}

function checkBracket(bracket: KneeBracket): void {
  if (!(bracket.stable > 0) || !(bracket.unstable > bracket.stable)) {
    throw new RangeError(`not a knee bracket: stable ${bracket.stable}/s, unstable ${bracket.unstable}/s (want 0 < stable < unstable)`);
  }
}

/**
 * The staircase's bracket around the knee, from its steps in the order they ran: the highest
 * stable rate below the first step that failed (unstable or VOID), and that step's rate.
 * Undefined when no step failed (the knee is only a lower bound) or none below it was stable.
 */
export function staircaseBracket(steps: readonly ProbeOutcome[]): KneeBracket | undefined {
  const failed = steps.find((step) => !step.stable);
  if (!failed) return undefined;
  const below = steps.filter((step) => step.stable && step.rate < failed.rate).map((step) => step.rate);
  return below.length === 0 ? undefined : { stable: Math.max(...below), unstable: failed.rate };
}

/**
 * The bracket after the outcomes so far: a stable probe raises the stable bound, an unstable (or
 * VOID) one lowers the unstable bound. A probe outside the current bounds is a caller's bug.
 */
export function bracketAfter(initial: KneeBracket, history: readonly ProbeOutcome[]): KneeBracket {
  checkBracket(initial);
  let { stable, unstable } = initial;
  for (const probe of history) {
    if (!(probe.rate > stable && probe.rate < unstable)) {
      throw new RangeError(`probe at ${probe.rate}/s is outside the bracket ${stable}–${unstable}/s`);
    }
    if (probe.stable) stable = probe.rate;
    else unstable = probe.rate;
  }
  return { stable, unstable };
}

/**
 * What to do next, given the staircase's bracket and the probes run so far (in order): probe the
 * midpoint (rounded to the granularity), or stop — resolved when the gap is within the tolerance,
 * else when the budget is spent or no rounded rate lies strictly between the bounds.
 */
export function nextProbe(initial: KneeBracket, history: readonly ProbeOutcome[], options: RefineOptions = DEFAULT_REFINE): RefineDecision {
  const bracket = bracketAfter(initial, history);
  if (relativeGap(bracket) <= options.tolerance + EPSILON) return { action: 'stop', reason: 'resolved', bracket };
  // Written so that a budget that is not a number (a mistyped --probes) stops rather than never does.
  if (!(history.length < options.maxProbes)) return { action: 'stop', reason: 'probe budget spent', bracket };
  const step = options.granularity > 0 ? options.granularity : 1;
  const rate = Math.round((bracket.stable + bracket.unstable) / 2 / step) * step;
  if (rate <= bracket.stable || rate >= bracket.unstable) return { action: 'stop', reason: 'no rate left between the bounds', bracket };
  return { action: 'probe', rate, bracket };
}

export interface Refinement {
  /** The staircase's bracket, before any probe. */
  readonly from: KneeBracket;
  /** The bracket after the probes: `stable` is the knee. */
  readonly to: KneeBracket;
  readonly probes: readonly ProbeOutcome[];
  readonly stoppedBecause: RefineStop;
}

/** Bisects from `initial`, calling `probe(rate)` (true when stable and not VOID) until `nextProbe` stops. */
export async function refineKnee(
  initial: KneeBracket,
  probe: (rate: number) => Promise<boolean>,
  options: RefineOptions = DEFAULT_REFINE,
): Promise<Refinement> {
  const probes: ProbeOutcome[] = [];
  for (;;) {
    const decision = nextProbe(initial, probes, options);
    if (decision.action === 'stop') return { from: initial, to: decision.bracket, probes, stoppedBecause: decision.reason };
    probes.push({ rate: decision.rate, stable: await probe(decision.rate) });
  }
}

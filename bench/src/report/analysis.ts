/**
 * What the report derives from a run: cells grouped across systems, void steps, whether each
 * recorded knee agrees with the steps it came from, how finely each knee is known, and the P/A
 * and P/B ratios (max sustainable rate, and CPU per request at a rate every system ran stable).
 *
 * The report never corrects the data: it shows what was recorded and says loudly where the
 * recorded summary disagrees with the steps, so that a bug in the orchestrator is seen, not hidden.
 */
import type { BenchRun, CellRatios, CellResult, Ledger, StepResult } from '../results';
import { cellKey, cellTitle, fmtNum, SYSTEMS, type SystemKey } from './format';

/** One cell of the matrix (target latency × failure rate) with each system's result in it. */
export interface CellGroup {
  readonly targetLatencyMs: number;
  readonly failureRate: number;
  /** "20ms-0", as in chart file names. */
  readonly key: string;
  /** "20 ms target, 0 % failures". */
  readonly title: string;
  readonly systems: Readonly<Partial<Record<SystemKey, CellResult>>>;
}

/** The cells of a run, by target latency then failure rate. A system listed twice in a cell keeps its first result. */
export function groupCells(run: Pick<BenchRun, 'cells'>): CellGroup[] {
  const groups = new Map<string, { latency: number; failure: number; systems: Partial<Record<SystemKey, CellResult>> }>();
  for (const cell of run.cells) {
    const key = cellKey(cell.targetLatencyMs, cell.failureRate);
    const group = groups.get(key) ?? { latency: cell.targetLatencyMs, failure: cell.failureRate, systems: {} };
    group.systems[cell.system] ??= cell;
    groups.set(key, group);
  }
  return [...groups.entries()]
    .sort(([, a], [, b]) => a.latency - b.latency || a.failure - b.failure)
    .map(([key, group]) => ({
      targetLatencyMs: group.latency,
      failureRate: group.failure,
      key,
      title: cellTitle(group.latency, group.failure),
      systems: group.systems,
    }));
}

/** The systems present in a cell, in report order. */
export function systemsIn(group: CellGroup): SystemKey[] {
  return SYSTEMS.filter((system) => group.systems[system] !== undefined);
}

/**
 * Why a ledger voids its step, or undefined when it balances. The arithmetic is checked as well
 * as the recorded flag: a flag that says "balanced" over numbers that do not is itself a bug.
 */
export function voidReason(ledger: Ledger): string | undefined {
  const accounted = ledger.completed + ledger.failed + ledger.inFlight;
  if (accounted !== ledger.sent) {
    const flag = ledger.balanced ? ' (yet recorded as balanced)' : '';
    return `sent ${fmtNum(ledger.sent)} ≠ completed + failed + in flight ${fmtNum(accounted)}${flag}`;
  }
  if (!ledger.balanced) return 'recorded as not balanced';
  return undefined;
}

/** Whether the step's ledger does not balance, which makes the step void. */
export function isVoid(step: StepResult): boolean {
  return voidReason(step.ledger) !== undefined;
}

/**
 * Whether a step can be a knee: stable, and its ledger balances. The one rule for the staircase,
 * the refinement's probes (a VOID probe counts as unstable) and the report's checks.
 */
export function isKneeCandidate(step: StepResult): boolean {
  return step.stable && !isVoid(step);
}

/** The knee the steps support: the highest offered rate of a stable step whose ledger balances; 0 if none. */
export function expectedKnee(cell: CellResult): number {
  return cell.steps.filter(isKneeCandidate).reduce((knee, step) => Math.max(knee, step.offeredRate), 0);
}

/**
 * How finely the steps pin the knee: the recorded knee and the lowest rate above it that was run
 * unstable or VOID (staircase or probe); `relativeGap` = (unstable − knee) / knee. `unstable` is
 * undefined when nothing above the knee failed (the knee is then only a lower bound). Works for
 * runs recorded before refinement too (their bracket is two staircase steps).
 */
export function kneeBracket(cell: CellResult): { knee: number; unstable?: number; relativeGap?: number } {
  const above = cell.steps.filter((step) => !isKneeCandidate(step) && step.offeredRate > cell.kneeRate).map((step) => step.offeredRate);
  if (above.length === 0) return { knee: cell.kneeRate };
  const unstable = Math.min(...above);
  return { knee: cell.kneeRate, unstable, ...(cell.kneeRate > 0 ? { relativeGap: (unstable - cell.kneeRate) / cell.kneeRate } : {}) };
}

/** The step the recorded knee names, if any. */
export function kneeStep(cell: CellResult): StepResult | undefined {
  return cell.kneeRate > 0 ? cell.steps.find((step) => step.offeredRate === cell.kneeRate) : undefined;
}

// The orchestrator may round the half-knee rate to a whole number or a step of its load generator.
const HALF_KNEE_TOLERANCE = 0.1;
// Rates are computed from counts over a duration: equality up to float noise.
const RATE_EPSILON = 1e-6;

/** Every way the recorded knee, max rate and half-knee step disagree with the steps; empty when they agree. */
export function kneeIssues(cell: CellResult): string[] {
  const issues: string[] = [];
  const expected = expectedKnee(cell);
  const step = kneeStep(cell);
  if (cell.kneeRate !== expected) {
    issues.push(`recorded knee ${fmtNum(cell.kneeRate)} req/s, but the highest stable step with a balanced ledger is ${fmtNum(expected)} req/s`);
  }
  if (cell.kneeRate > 0 && step === undefined) issues.push(`no step was run at the recorded knee ${fmtNum(cell.kneeRate)} req/s`);
  if (step !== undefined && isVoid(step)) issues.push(`the recorded knee ${fmtNum(cell.kneeRate)} req/s is a VOID step`);
  if (step !== undefined && !step.stable) issues.push(`the recorded knee ${fmtNum(cell.kneeRate)} req/s is an unstable step`);
  const kneeCompleted = step?.completedRate ?? 0;
  if (Math.abs(cell.maxSustainableRate - kneeCompleted) > RATE_EPSILON * Math.max(1, kneeCompleted)) {
    issues.push(`recorded max sustainable rate ${fmtNum(cell.maxSustainableRate)}/s differs from the knee step's completed rate ${fmtNum(kneeCompleted)}/s`);
  }
  return [...issues, ...refinementIssues(cell), ...halfKneeIssues(cell)];
}

/** Where the recorded refinement disagrees with the probe steps and the knee. */
function refinementIssues(cell: CellResult): string[] {
  const probes = cell.steps.filter((step) => step.probe === true).length;
  const refinement = cell.refinement;
  if (refinement === undefined) return probes > 0 ? [`${probes} refinement probe(s) recorded without a refinement record`] : [];
  const issues: string[] = [];
  if (refinement.probes !== probes) issues.push(`the refinement records ${refinement.probes} probe(s), the steps ${probes}`);
  if (refinement.to.stable !== cell.kneeRate) issues.push(`the refinement's stable bound ${fmtNum(refinement.to.stable)} req/s is not the recorded knee ${fmtNum(cell.kneeRate)} req/s`);
  return issues;
}

function halfKneeIssues(cell: CellResult): string[] {
  const half = cell.atHalfKnee;
  if (half === undefined) return cell.kneeRate > 0 ? ['no step was run at half the knee'] : [];
  const issues: string[] = [];
  const wanted = cell.kneeRate / 2;
  if (Math.abs(half.offeredRate - wanted) > HALF_KNEE_TOLERANCE * wanted) {
    issues.push(`the half-knee step offered ${fmtNum(half.offeredRate)} req/s, not about ${fmtNum(wanted)} req/s`);
  }
  if (isVoid(half)) issues.push('the half-knee step is VOID: its latencies are not evidence');
  return issues;
}

/** P's max sustainable completed rate over another system's in the same cell; undefined when either is missing or the other's is 0. */
export function rateRatio(group: CellGroup, other: 'A' | 'B'): number | undefined {
  const p = group.systems.P;
  const o = group.systems[other];
  if (p === undefined || o === undefined || !(o.maxSustainableRate > 0)) return undefined;
  return p.maxSustainableRate / o.maxSustainableRate;
}

/**
 * CPU-ms per 1,000 finished requests of the system itself: every process group but the driver —
 * its services, Redis and the Kafka JVM. Undefined when the step finished no request.
 */
export function systemCpuMsPer1000(step: StepResult): number | undefined {
  if (step.ledger.completed + step.ledger.failed === 0) return undefined;
  const groups = Object.entries(step.cpuMsPer1000).filter(([group]) => group !== 'driver');
  return groups.length === 0 ? undefined : groups.reduce((sum, [, ms]) => sum + ms, 0);
}

/** The staircase steps and probes, then the half-knee step. */
function allSteps(cell: CellResult): StepResult[] {
  return cell.atHalfKnee ? [...cell.steps, cell.atHalfKnee] : [...cell.steps];
}

/** The first step run at `rate` that counts as stable (staircase and probes before the half-knee step). */
function stableStepAt(cell: CellResult, rate: number): StepResult | undefined {
  return allSteps(cell).find((step) => step.offeredRate === rate && isKneeCandidate(step));
}

/**
 * The highest offered rate at which every system in the cell ran a stable step whose ledger
 * balances (staircase, probe or half-knee step); undefined when there is none.
 */
export function commonStableRate(group: CellGroup): number | undefined {
  const cells = systemsIn(group).map((s) => group.systems[s] as CellResult);
  if (cells.length === 0) return undefined;
  const [first, ...rest] = cells.map((cell) => new Set(allSteps(cell).filter(isKneeCandidate).map((step) => step.offeredRate)));
  const shared = [...(first ?? [])].filter((rate) => rest.every((rates) => rates.has(rate)));
  return shared.length === 0 ? undefined : Math.max(...shared);
}

/** P over A and B in one cell: max sustainable rate, and the system's CPU per request at the common stable rate. */
export function cellRatios(group: CellGroup): CellRatios {
  const rate = commonStableRate(group);
  const maxSustainableRate: Partial<Record<SystemKey, number>> = {};
  const cpuMsPer1000: Partial<Record<SystemKey, number>> = {};
  for (const s of systemsIn(group)) {
    const cell = group.systems[s] as CellResult;
    maxSustainableRate[s] = cell.maxSustainableRate;
    const step = rate === undefined ? undefined : stableStepAt(cell, rate);
    const cpu = step ? systemCpuMsPer1000(step) : undefined;
    if (cpu !== undefined) cpuMsPer1000[s] = cpu;
  }
  const over = (p: number | undefined, other: number | undefined): number | undefined =>
    p === undefined || other === undefined || !(other > 0) ? undefined : p / other;
  const pair = (pa: number | undefined, pb: number | undefined): { PA?: number; PB?: number } => ({
    ...(pa !== undefined ? { PA: pa } : {}),
    ...(pb !== undefined ? { PB: pb } : {}),
  });
  return {
    targetLatencyMs: group.targetLatencyMs,
    failureRate: group.failureRate,
    maxSustainableRate,
    rateRatio: pair(rateRatio(group, 'A'), rateRatio(group, 'B')),
    ...(rate !== undefined ? { cpuComparedAtRate: rate } : {}),
    cpuMsPer1000,
    cpuRatio: pair(over(cpuMsPer1000.P, cpuMsPer1000.A), over(cpuMsPer1000.P, cpuMsPer1000.B)),
  };
}

/** The ratios of every cell of a run, in report order (what run.ts records as `ratios`). */
export function runRatios(run: Pick<BenchRun, 'cells'>): CellRatios[] {
  return groupCells(run).map(cellRatios);
}

/** Peak RSS per process over the whole staircase and the half-knee step. */
export function peakRss(cell: CellResult): Record<string, number> {
  const peak: Record<string, number> = {};
  const steps = cell.atHalfKnee ? [...cell.steps, cell.atHalfKnee] : cell.steps;
  for (const step of steps) {
    for (const [process, mb] of Object.entries(step.peakRssMb)) peak[process] = Math.max(peak[process] ?? 0, mb);
  }
  return peak;
}

/** The cell at the issue's reference point, 20 ms target latency and 0 % failures, if the run has it. */
export function referenceCell(groups: readonly CellGroup[]): CellGroup | undefined {
  return groups.find((group) => group.targetLatencyMs === 20 && group.failureRate === 0);
}

/**
 * What the report derives from a run: cells grouped across systems, void steps, whether each
 * recorded knee agrees with the steps it came from, and the P/A and P/B ratios.
 *
 * The report never corrects the data: it shows what was recorded and says loudly where the
 * recorded summary disagrees with the steps, so that a bug in the orchestrator is seen, not hidden.
 */
import type { BenchRun, CellResult, Ledger, StepResult } from '../results';
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
export function groupCells(run: BenchRun): CellGroup[] {
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

/** The knee the steps support: the highest offered rate of a stable step whose ledger balances; 0 if none. */
export function expectedKnee(cell: CellResult): number {
  return cell.steps.filter((step) => step.stable && !isVoid(step)).reduce((knee, step) => Math.max(knee, step.offeredRate), 0);
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
  return [...issues, ...halfKneeIssues(cell)];
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

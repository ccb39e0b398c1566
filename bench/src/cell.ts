import type { CellResult, KneeRefinement, StepResult } from './results';
import { isKneeCandidate } from './report/analysis';
import { DEFAULT_REFINE, refineKnee, relativeGap, staircaseBracket } from './refine';
import { runStep, type StepContext } from './step';

export interface Matrix {
  readonly latencies: readonly number[];
  readonly failureRates: readonly number[];
  /** The staircase of offered rates (requests/s), climbed until a step is unstable. */
  readonly rates: readonly number[];
  readonly stepMs: number;
  /** Refinement probes per cell at most, bisecting the knee to within 10 % (0: the staircase only). */
  readonly maxProbes: number;
}

/** Time the system gets after the load to finish a step's requests (retries included). */
const drainMsFor = (targetLatencyMs: number): number => Math.max(5_000, 20 * targetLatencyMs);

/**
 * One cell: climb the staircase until a step is unstable (its ledger void, or work left over);
 * bisect between the last stable and the first unstable rate until the knee is known within
 * 10 % (at most `maxProbes` probes, each a normal step); the knee is the highest stable rate.
 * Then measure latency at half the knee.
 */
export async function runCell(
  context: StepContext,
  matrix: Matrix,
  cell: { targetLatencyMs: number; failureRate: number },
  say: (line: string) => void,
): Promise<Omit<CellResult, 'idleRssMb'>> {
  const label = `${context.system.key} ${cell.targetLatencyMs} ms ${Math.round(cell.failureRate * 100)} %`;
  const plan = (rate: number) => ({ rate, durationMs: matrix.stepMs, drainMs: drainMsFor(cell.targetLatencyMs), ...cell });
  const steps: StepResult[] = [];
  // Warm-up, not recorded: JIT, connection pools and consumer assignments settle first.
  await runStep(context, { ...plan(matrix.rates[0] ?? 100), durationMs: 3_000 });
  await settle(context);
  const report = (step: StepResult): void =>
    say(`${label}: ${step.probe ? 'probe' : 'offered'} ${step.offeredRate}/s → completed ${step.completedRate}/s (${step.ledger.completed + step.ledger.failed}/${step.ledger.sent}), ${isKneeCandidate(step) ? 'stable' : `UNSTABLE (${step.unstableReason ?? 'ledger VOID'})`}, first attempt p50 ${step.firstAttemptMs.p50} ms p99 ${step.firstAttemptMs.p99} ms`);
  for (const rate of matrix.rates) {
    const step = await runStep(context, plan(rate));
    steps.push(step);
    report(step);
    if (!isKneeCandidate(step)) break;
  }
  await settle(context);
  const bracket = staircaseBracket(steps.map((step) => ({ rate: step.offeredRate, stable: isKneeCandidate(step) })));
  let refinement: KneeRefinement | undefined;
  if (bracket) {
    const refined = await refineKnee(
      bracket,
      async (rate) => {
        const { offeredRate, ...measured } = await runStep(context, plan(rate));
        const step: StepResult = { offeredRate, probe: true, ...measured };
        steps.push(step);
        report(step);
        const stable = isKneeCandidate(step);
        if (!stable) await settle(context);
        return stable;
      },
      { ...DEFAULT_REFINE, maxProbes: matrix.maxProbes },
    );
    refinement = { from: refined.from, to: refined.to, relativeGap: relativeGap(refined.to), probes: refined.probes.length, stoppedBecause: refined.stoppedBecause };
    say(`${label}: knee between ${refined.to.stable} and ${refined.to.unstable}/s (${Math.round(refinement.relativeGap * 1000) / 10} % apart) after ${refined.probes.length} probe(s): ${refined.stoppedBecause}`);
  }
  const knee = steps.filter(isKneeCandidate).reduce<StepResult | undefined>((best, s) => (!best || s.offeredRate > best.offeredRate ? s : best), undefined);
  const atHalfKnee = knee ? await runStep(context, plan(Math.max(1, Math.round(knee.offeredRate / 2)))) : undefined;
  if (atHalfKnee) say(`${label}: at half the knee (${atHalfKnee.offeredRate}/s): first attempt p50 ${atHalfKnee.firstAttemptMs.p50} ms p99 ${atHalfKnee.firstAttemptMs.p99} ms; added to callback p50 ${atHalfKnee.addedToCallbackMs.p50} ms`);
  await settle(context);
  return {
    system: context.system.key,
    systemDescription: context.system.description,
    targetLatencyMs: cell.targetLatencyMs,
    failureRate: cell.failureRate,
    steps,
    kneeRate: knee?.offeredRate ?? 0,
    maxSustainableRate: knee?.completedRate ?? 0,
    ...(refinement ? { refinement } : {}),
    ...(atHalfKnee ? { atHalfKnee } : {}),
  };
}

/**
 * Once per system, before its first cell (not recorded): 30 s at 1,000 requests/s, so that JIT
 * compilation — the Kafka JVM's especially, which takes tens of seconds to reach full speed —
 * connection pools and consumer assignments are settled before anything is measured.
 */
export async function warmUp(context: StepContext, targetLatencyMs: number): Promise<void> {
  await runStep(context, { rate: 1000, durationMs: 30_000, targetLatencyMs, failureRate: 0, drainMs: drainMsFor(targetLatencyMs) });
  await settle(context);
}

/** After an overloaded step, let the backlog drain before the next measurement (not measured). */
async function settle(context: StepContext): Promise<void> {
  let quiet = 0;
  let last = -1;
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline && quiet < 3) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const seen = context.receiver.results.size;
    quiet = seen === last ? quiet + 1 : 0;
    last = seen;
  }
}

import type { Ledger, StepResult } from './results';
import type { SystemProcess, SystemUnderTest } from './contract';
import type { BenchReceiver } from './load/receiver';
import type { BenchTarget } from './load/target';
import { runOpenLoop, type SentRequest } from './load/open-loop';
import { cpuMs, rssPeaks } from './load/procstat';
import { failsFirstAttempt, percentiles } from './load/stats';

export interface StepPlan {
  readonly rate: number;
  readonly durationMs: number;
  readonly targetLatencyMs: number;
  readonly failureRate: number;
  /** After the load: how long callbacks may still come and count for this step. */
  readonly drainMs: number;
}

export interface StepContext {
  readonly system: SystemUnderTest;
  /** Redis / Kafka processes started for the system (their CPU and RSS count too). */
  readonly infrastructure: readonly SystemProcess[];
  readonly target: BenchTarget;
  readonly receiver: BenchReceiver;
}

/**
 * One step of the staircase: `rate` requests/s for `durationMs`, open loop, then up to `drainMs`
 * for the last callbacks. Measures the ledger, completion rate, latency, CPU and RSS.
 * Client ids depend on the cell and rate only, so every system gets the same failing requests.
 */
export async function runStep(context: StepContext, plan: StepPlan): Promise<StepResult> {
  const { target, receiver } = context;
  target.reset();
  receiver.reset();
  const processes = [...context.system.processes(), ...context.infrastructure];
  const before = cpuSnapshot(processes);
  const peaks = rssPeaks(new Map(processes.map((p) => [p.name, p.pid])));
  const loadStarted = performance.now();
  const load = await runOpenLoop({
    ingressUrl: context.system.ingressUrl,
    callbackUrl: receiver.url,
    rate: plan.rate,
    durationMs: plan.durationMs,
    idPrefix: `${plan.targetLatencyMs}-${Math.round(plan.failureRate * 100)}-${plan.rate}-`,
    urlFor: (clientId) => target.urlFor(clientId, plan.targetLatencyMs, failsFirstAttempt(clientId, plan.failureRate)),
  });
  const deadline = performance.now() + plan.drainMs;
  while (performance.now() < deadline && receiver.results.size < load.sent.length) await new Promise((r) => setTimeout(r, 50));
  const after = cpuSnapshot(processes);
  const peakRssMb = peaks.stop();

  const ledger = ledgerOf(load.sent, receiver, load.refused);
  const finished = ledger.completed + ledger.failed;
  const completedRate = steadyRate(receiver, loadStarted, plan.durationMs);
  const { firstAttempt, added } = latencies(load.sent, target, receiver);
  const growth = backlogGrowth(load.sent, target);
  const reasons: string[] = [];
  if (!ledger.balanced) reasons.push(`ledger does not balance (${ledger.anomalies} anomalies)`);
  if (ledger.inFlight > 0.005 * ledger.sent) reasons.push(`${ledger.inFlight} of ${ledger.sent} still in flight after the drain window`);
  if (completedRate < 0.9 * plan.rate) reasons.push(`completed ${completedRate}/s < 90 % of offered in the steady window`);
  if (growth.growing) reasons.push(`time to first attempt grew from p50 ${growth.early} ms to ${growth.late} ms during the step`);
  if (reasons.length > 0 && load.maxSendLagMs > 100) reasons.push(`the load generator itself lagged up to ${Math.round(load.maxSendLagMs)} ms`);
  const stable = reasons.length === 0;
  return {
    offeredRate: plan.rate,
    durationMs: plan.durationMs,
    ledger,
    completedRate,
    stable,
    ...(stable ? {} : { unstableReason: reasons.join('; ') }),
    firstAttemptMs: percentiles(firstAttempt),
    addedToCallbackMs: percentiles(added),
    cpuMsPer1000: perThousand(before, after, finished),
    peakRssMb,
  };
}

function ledgerOf(sent: readonly SentRequest[], receiver: BenchReceiver, refused: number): Ledger {
  let completed = 0;
  let failed = 0;
  let duplicates = 0;
  const sentIds = new Set(sent.map((r) => r.clientId));
  let strangers = 0;
  for (const [clientId, result] of receiver.results) {
    if (!sentIds.has(clientId)) {
      strangers++;
      continue;
    }
    if (result.status === 'succeeded') completed++;
    else failed++;
    duplicates += result.deliveries - 1;
  }
  const inFlight = sent.length - completed - failed;
  const anomalies = refused + strangers + receiver.anomalies();
  return { sent: sent.length, completed, failed, inFlight, duplicates, anomalies, balanced: anomalies === 0 && inFlight >= 0 };
}

function latencies(sent: readonly SentRequest[], target: BenchTarget, receiver: BenchReceiver): { firstAttempt: number[]; added: number[] } {
  const firstAttempt: number[] = [];
  const added: number[] = [];
  for (const request of sent) {
    const record = target.records.get(request.clientId);
    if (record) firstAttempt.push(record.firstCallAt - request.intendedAt);
    const result = receiver.results.get(request.clientId);
    if (record && result) added.push(result.at - request.intendedAt - record.serviceMs);
  }
  return { firstAttempt, added };
}

type CpuSnapshot = Map<string, number>; // group → ms

function cpuSnapshot(processes: readonly SystemProcess[]): CpuSnapshot {
  const groups: CpuSnapshot = new Map();
  for (const process of processes) groups.set(process.group, (groups.get(process.group) ?? 0) + (cpuMs(process.pid) ?? 0));
  const own = globalThis.process.cpuUsage();
  groups.set('driver', (own.user + own.system) / 1000);
  return groups;
}

function perThousand(before: CpuSnapshot, after: CpuSnapshot, finished: number): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [group, ms] of after) result[group] = finished === 0 ? 0 : Math.round(((ms - (before.get(group) ?? 0)) * 1000) / finished);
  return result;
}

/**
 * Callbacks per second in the step's steady window: from the warm-up's end (a third of the step,
 * at most 2 s, for the pipeline to fill) to the end of the offered load. At a steady state this
 * equals the offered rate; a system that cannot keep up completes less, whatever the drain does.
 */
function steadyRate(receiver: BenchReceiver, loadStarted: number, durationMs: number): number {
  const from = loadStarted + Math.min(2_000, durationMs / 3);
  const to = loadStarted + durationMs;
  let count = 0;
  for (const result of receiver.results.values()) if (result.at >= from && result.at < to) count++;
  return Math.round((count * 1000) / (to - from));
}

/**
 * Whether the backlog grew during the step: the median time to first attempt of the last fifth
 * of the requests against the first fifth (a request never attempted counts as infinitely late).
 * A stable system keeps it flat; a saturated one queues more with every second.
 */
function backlogGrowth(sent: readonly SentRequest[], target: BenchTarget): { growing: boolean; early: number; late: number } {
  const lagOf = (request: SentRequest): number => {
    const record = target.records.get(request.clientId);
    return record ? record.firstCallAt - request.intendedAt : Number.POSITIVE_INFINITY;
  };
  const fifth = Math.max(1, Math.floor(sent.length / 5));
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const early = median(sent.slice(0, fifth).map(lagOf));
  const late = median(sent.slice(-fifth).map(lagOf));
  const round = (ms: number): number => (Number.isFinite(ms) ? Math.round(ms) : ms);
  return { growing: late > 2 * early + 100, early: round(early), late: round(late) };
}

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
  const elapsedMs = performance.now() - loadStarted;
  const after = cpuSnapshot(processes);
  const peakRssMb = peaks.stop();

  const ledger = ledgerOf(load.sent, receiver, load.refused);
  const finished = ledger.completed + ledger.failed;
  // Callbacks per second from the first send to the last callback: at saturation, the capacity.
  let lastAt = loadStarted;
  for (const result of receiver.results.values()) lastAt = Math.max(lastAt, result.at);
  const completedRate = Math.round((finished * 1000) / Math.max(plan.durationMs, Math.min(elapsedMs, lastAt - loadStarted)));
  const { firstAttempt, added } = latencies(load.sent, target, receiver);
  const stable = ledger.balanced && ledger.inFlight <= 0.005 * ledger.sent && finished >= 0.95 * ledger.sent;
  return {
    offeredRate: plan.rate,
    durationMs: plan.durationMs,
    ledger,
    completedRate,
    stable,
    ...(stable ? {} : { unstableReason: unstableReason(ledger, load.maxSendLagMs) }),
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

function unstableReason(ledger: Ledger, maxSendLagMs: number): string {
  if (!ledger.balanced) return `ledger does not balance (${ledger.anomalies} anomalies)`;
  const parts = [`${ledger.inFlight} of ${ledger.sent} still in flight after the drain window`];
  if (maxSendLagMs > 100) parts.push(`the load generator itself lagged up to ${Math.round(maxSendLagMs)} ms`);
  return parts.join('; ');
}

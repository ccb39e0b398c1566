import { judgeDelivery, signatureProblem, type Expected, type ReceivedCallback } from '@parc/testing';
import type { Fault } from './plan';

/** A fault as it happened, with how long the system took to get over it. */
export type FaultOutcome = Fault & {
  /** Run time (ms since the start) at which the fault was injected. */
  readonly firedAtMs: number;
  /** kill: restart → `/health/ready` 200; broker, redis: restart → answering again. */
  readonly readyMs?: number;
  /** kill: the SIGKILL → the restarted instance's first handled batch (its work taken over). */
  readonly takeoverMs?: number;
  /** broker, redis: back → every stage ready again. */
  readonly allReadyMs?: number;
};

/** What a chaos run saw, for the ledger. Times are ms since the run started. */
export interface RunObservations {
  /** Every request that got a 202, with what it must end as. */
  readonly accepted: readonly { readonly id: string; readonly expected: Expected }[];
  /** When each 202 came and for how many requests. */
  readonly acceptances: readonly { readonly atMs: number; readonly count: number }[];
  /** Every callback delivery (receivedAt is epoch ms). */
  readonly deliveries: readonly ReceivedCallback[];
  readonly startedAtEpochMs: number;
  /** When observation ended (ms since the start). */
  readonly endedAtMs: number;
  readonly webhookSecrets: string;
  readonly targetCalls: number;
  /** Target calls if every request were attempted exactly as its script says. */
  readonly expectedTargetCalls: number;
  readonly faults: readonly FaultOutcome[];
  readonly unexpectedExits: readonly { readonly app: string; readonly atMs: number; readonly code: number | null; readonly signal: string | null }[];
  readonly peakRssMiB: Readonly<Record<string, number>>;
  readonly intake: {
    readonly retries: number;
    readonly answers503: number;
    readonly answers409: number;
    readonly longest409Ms: number;
    readonly retryAfter: { readonly min: number; readonly max: number } | undefined;
  };
}

export interface StageRecovery {
  readonly kills: number;
  /** Longest restart → ready. */
  readonly readyMs: number | undefined;
  /** Longest kill → the restarted instance handling work again. */
  readonly takeoverMs: number | undefined;
}

export interface Ledger {
  readonly accepted: number;
  readonly delivered: number;
  readonly lost: number;
  readonly conflicting: number;
  readonly wrong: number;
  readonly duplicateCallbacks: number;
  /** Duplicates whose webhook-id or outcome differ from the first delivery's (must be 0). */
  readonly duplicatesDiffering: number;
  readonly extraTargetCalls: number;
  readonly extraTargetCallsPct: number;
  readonly badSignatures: number;
  readonly longestStallMs: number;
  /** When the longest stall began (ms since the start), and the last fault before it. */
  readonly longestStallAtMs: number;
  readonly longestStallAfter: string | undefined;
  /** The longest stall counting none of the time the broker was down (from its kill until it answered again). */
  readonly longestStallOutsideOutagesMs: number;
  readonly recovery: Readonly<Record<string, StageRecovery>>;
  readonly broker: { readonly downMs: number; readonly readyMs: number | undefined; readonly allReadyMs: number | undefined } | undefined;
  readonly redis: readonly { readonly which: string; readonly readyMs: number | undefined; readonly allReadyMs: number | undefined }[];
  readonly unexpectedExits: number;
  readonly peakRssMiB: Readonly<Record<string, number>>;
  readonly intake: RunObservations['intake'];
  /** The first problems found, for the report. */
  readonly problems: readonly string[];
}

/** The outcome a delivery reports: what must agree between duplicates. */
function outcomeOf(body: string): string {
  try {
    const result = JSON.parse(body) as { status?: string; reason?: string; attempts?: { status?: number; error?: { code?: string } }[] };
    const last = result.attempts?.[result.attempts.length - 1];
    return JSON.stringify([result.status, result.reason ?? null, result.attempts?.length ?? 0, last?.status ?? null, last?.error?.code ?? null]);
  } catch {
    return body;
  }
}

/** A span of run time (ms since the start). */
export interface Span {
  readonly fromMs: number;
  readonly toMs: number;
}

/** How much of [from, to) lies outside every span of `excluded`. */
function lengthOutside(from: number, to: number, excluded: readonly Span[]): number {
  let length = to - from;
  for (const span of excluded) length -= Math.max(0, Math.min(to, span.toMs) - Math.max(from, span.fromMs));
  return length;
}

/**
 * The longest time with work pending (accepted and not yet called back) and no new request
 * called back: a walk over the 202s and each request's first callback, in time order. Time within
 * `excluded` spans (the broker being down: nothing can flow through Kafka then) is not counted.
 */
export function longestStall(
  acceptances: RunObservations['acceptances'],
  firstDeliveriesAtMs: readonly number[],
  endedAtMs: number,
  excluded: readonly Span[] = [],
): { readonly ms: number; readonly atMs: number } {
  const events = [
    ...acceptances.map(({ atMs, count }) => ({ atMs, change: count })),
    ...firstDeliveriesAtMs.map((atMs) => ({ atMs, change: -1 })),
  ].sort((a, b) => a.atMs - b.atMs || b.change - a.change);
  let pending = 0;
  let since = 0;
  let longest = { ms: 0, atMs: 0 };
  const consider = (to: number): void => {
    const ms = lengthOutside(since, to, excluded);
    if (ms > longest.ms) longest = { ms, atMs: since };
  };
  for (const { atMs, change } of events) {
    if (change < 0 && pending > 0) consider(atMs);
    if (change < 0 || pending === 0) since = atMs;
    pending += change;
  }
  if (pending > 0) consider(endedAtMs);
  return longest;
}

function recoveryByApp(faults: readonly FaultOutcome[]): Record<string, StageRecovery> {
  const byApp: Record<string, StageRecovery> = {};
  const max = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
  for (const fault of faults) {
    if (fault.kind !== 'kill') continue;
    const before = byApp[fault.app] ?? { kills: 0, readyMs: undefined, takeoverMs: undefined };
    byApp[fault.app] = { kills: before.kills + 1, readyMs: max(before.readyMs, fault.readyMs), takeoverMs: max(before.takeoverMs, fault.takeoverMs) };
  }
  return byApp;
}

/** Counts everything the chaos run promises about, from what it observed. */
export function computeLedger(run: RunObservations): Ledger {
  const byId = new Map<string, ReceivedCallback[]>();
  for (const delivery of run.deliveries) {
    if (delivery.answeredWith >= 300) continue;
    const list = byId.get(delivery.id);
    if (list) list.push(delivery);
    else byId.set(delivery.id, [delivery]);
  }
  const problems: string[] = [];
  const note = (problem: string): void => void (problems.length < 20 && problems.push(problem));
  let delivered = 0, lost = 0, conflicting = 0, wrong = 0, duplicates = 0, differing = 0, badSignatures = 0;
  const firstDeliveries: number[] = [];
  for (const { id, expected } of run.accepted) {
    const deliveries = byId.get(id) ?? [];
    const [first] = deliveries;
    if (first === undefined) {
      lost++;
      note(`${id} (${expected.kind}): no callback`);
      continue;
    }
    delivered++;
    firstDeliveries.push(first.receivedAt - run.startedAtEpochMs);
    duplicates += deliveries.length - 1;
    for (const delivery of deliveries) {
      const problem = signatureProblem(delivery, run.webhookSecrets);
      if (problem === undefined) continue;
      badSignatures++;
      note(`${id}: signature does not verify (${problem})`);
    }
    const outcomes = new Set(deliveries.map((delivery) => outcomeOf(delivery.body)));
    if (outcomes.size > 1) {
      conflicting++;
      note(`${id} (${expected.kind}): ${outcomes.size} different outcomes called back: ${[...outcomes].join(' vs ')}`);
    }
    differing += deliveries.slice(1).filter((d) => d.headers['webhook-id'] !== first.headers['webhook-id'] || outcomeOf(d.body) !== outcomeOf(first.body)).length;
    const judged = judgeDelivery(id, first.body, expected);
    if (judged.length > 0) {
      wrong++;
      judged.forEach(note);
    }
  }
  const stall = longestStall(run.acceptances, firstDeliveries, run.endedAtMs);
  const outages = run.faults.flatMap((fault): Span[] => (fault.kind === 'broker' ? [{ fromMs: fault.firedAtMs, toMs: fault.firedAtMs + fault.downMs + (fault.readyMs ?? 0) }] : []));
  const stallOutside = longestStall(run.acceptances, firstDeliveries, run.endedAtMs, outages);
  const lastFaultBefore = [...run.faults].reverse().find((fault) => fault.firedAtMs <= stall.atMs + 1_000);
  const broker = run.faults.find((fault): fault is FaultOutcome & { kind: 'broker' } => fault.kind === 'broker');
  const extra = run.targetCalls - run.expectedTargetCalls;
  return {
    accepted: run.accepted.length,
    delivered,
    lost,
    conflicting,
    wrong,
    duplicateCallbacks: duplicates,
    duplicatesDiffering: differing,
    extraTargetCalls: extra,
    extraTargetCallsPct: run.expectedTargetCalls === 0 ? 0 : (100 * extra) / run.expectedTargetCalls,
    badSignatures,
    longestStallMs: stall.ms,
    longestStallAtMs: stall.atMs,
    longestStallOutsideOutagesMs: stallOutside.ms,
    longestStallAfter: lastFaultBefore === undefined ? undefined : `${lastFaultBefore.kind} ${'app' in lastFaultBefore ? lastFaultBefore.app : lastFaultBefore.kind === 'redis' ? lastFaultBefore.which : 'kafka'} at ${(lastFaultBefore.firedAtMs / 1000).toFixed(1)} s`,
    recovery: recoveryByApp(run.faults),
    broker: broker === undefined ? undefined : { downMs: broker.downMs, readyMs: broker.readyMs, allReadyMs: broker.allReadyMs },
    redis: run.faults.flatMap((fault) => (fault.kind === 'redis' ? [{ which: fault.which, readyMs: fault.readyMs, allReadyMs: fault.allReadyMs }] : [])),
    unexpectedExits: run.unexpectedExits.length,
    peakRssMiB: run.peakRssMiB,
    intake: run.intake,
    problems,
  };
}

/** Why the run failed (empty when it passed): loss, conflict, wrong outcome, bad signature, or a process that exited by itself. */
export function ledgerFailures(ledger: Ledger): string[] {
  const failures: string[] = [];
  if (ledger.lost > 0) failures.push(`${ledger.lost} accepted requests were never called back`);
  if (ledger.conflicting > 0) failures.push(`${ledger.conflicting} requests were called back with conflicting outcomes`);
  if (ledger.duplicatesDiffering > 0) failures.push(`${ledger.duplicatesDiffering} duplicate callbacks differ from the first in webhook-id or outcome`);
  if (ledger.wrong > 0) failures.push(`${ledger.wrong} requests ended with the wrong outcome`);
  if (ledger.badSignatures > 0) failures.push(`${ledger.badSignatures} callbacks carry a signature that does not verify`);
  if (ledger.unexpectedExits > 0) failures.push(`${ledger.unexpectedExits} processes exited that the test did not kill`);
  return failures;
}

/** The targets of issue #10, measured, each with whether it was met (reported, not asserted). */
export function ledgerTargets(ledger: Ledger): { readonly target: string; readonly value: string; readonly met: boolean }[] {
  const seconds = (ms: number | undefined): string => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  const readyWorst = Math.max(0, ...Object.values(ledger.recovery).map((r) => r.readyMs ?? 0));
  const dupPct = ledger.accepted === 0 ? 0 : (100 * ledger.duplicateCallbacks) / ledger.accepted;
  const afterOutages = [ledger.broker?.allReadyMs, ...ledger.redis.map((r) => r.allReadyMs)].filter((ms): ms is number => ms !== undefined);
  return [
    { target: 'longest stall ≤ 20 s', value: seconds(ledger.longestStallMs), met: ledger.longestStallMs <= 20_000 },
    { target: 'longest stall ≤ 20 s, not counting the broker being down', value: seconds(ledger.longestStallOutsideOutagesMs), met: ledger.longestStallOutsideOutagesMs <= 20_000 },
    { target: 'every stage ready ≤ 10 s after its restart', value: seconds(readyWorst), met: readyWorst <= 10_000 },
    { target: 'every stage ready ≤ 10 s after the broker (and Redis) is back', value: afterOutages.length === 0 ? 'n/a' : seconds(Math.max(...afterOutages)), met: afterOutages.every((ms) => ms <= 10_000) },
    { target: 'duplicate callbacks ≤ 0.5 % of requests', value: `${dupPct.toFixed(2)} %`, met: dupPct <= 0.5 },
    { target: 'no process exits but the killed ones', value: String(ledger.unexpectedExits), met: ledger.unexpectedExits === 0 },
  ];
}

/** The ledger as text, for the terminal and the notes. */
export function formatLedger(ledger: Ledger): string {
  const seconds = (ms: number | undefined): string => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    `accepted              ${ledger.accepted}`,
    `delivered             ${ledger.delivered}`,
    `lost                  ${ledger.lost}`,
    `conflicting outcomes  ${ledger.conflicting}`,
    `wrong outcomes        ${ledger.wrong}`,
    `duplicate callbacks   ${ledger.duplicateCallbacks} (${ledger.accepted === 0 ? '0.00' : ((100 * ledger.duplicateCallbacks) / ledger.accepted).toFixed(2)} %; differing from the first: ${ledger.duplicatesDiffering})`,
    `extra target calls    ${ledger.extraTargetCalls} (${ledger.extraTargetCallsPct.toFixed(1)} %)`,
    `bad signatures        ${ledger.badSignatures}`,
    `longest stall         ${seconds(ledger.longestStallMs)} (from ${seconds(ledger.longestStallAtMs)}${ledger.longestStallAfter ? `, after ${ledger.longestStallAfter}` : ''}); ${seconds(ledger.longestStallOutsideOutagesMs)} not counting the broker's downtime`,
    `unexpected exits      ${ledger.unexpectedExits}`,
    `intake                ${ledger.intake.retries} retried submissions, ${ledger.intake.answers503} × 503${ledger.intake.retryAfter ? ` (Retry-After ${ledger.intake.retryAfter.min}–${ledger.intake.retryAfter.max} s)` : ''}, ${ledger.intake.answers409} × 409 (longest run of 409s ${seconds(ledger.intake.longest409Ms)})`,
    'recovery per stage    kills  restart→ready  kill→work taken over',
    ...Object.entries(ledger.recovery).map(([app, r]) => `  ${app.padEnd(20)}${String(r.kills).padStart(5)}  ${seconds(r.readyMs).padStart(13)}  ${seconds(r.takeoverMs).padStart(20)}`),
    ...(ledger.broker ? [`kafka broker          down ${seconds(ledger.broker.downMs)}, answering ${seconds(ledger.broker.readyMs)} after its restart, every stage ready ${seconds(ledger.broker.allReadyMs)} after that`] : []),
    ...ledger.redis.map((r) => `${r.which.padEnd(22)}answering ${seconds(r.readyMs)} after its restart, every stage ready ${seconds(r.allReadyMs)} after that`),
    `peak RSS (MiB)        ${Object.entries(ledger.peakRssMiB).map(([app, mib]) => `${app} ${Math.round(mib)}`).join(', ')}`,
  ];
  return lines.join('\n');
}

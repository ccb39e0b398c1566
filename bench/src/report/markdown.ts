/**
 * The Markdown report of a run: stamp, the summary (per cell: knees, how finely they are known,
 * P/A and P/B for max sustainable rate and for CPU per request), systems, latency at half the
 * knee, CPU per 1,000 completed requests, RSS, the ledger of every step and refinement probe
 * (void steps flagged), the issue's targets, and the charts. Also the before/after comparison of
 * two runs.
 */
import type { BenchRun, CellResult, StepResult } from '../results';
import { DEFAULT_REFINE } from '../refine';
import { cellRatios, groupCells, kneeBracket, kneeIssues, peakRss, systemCpuMsPer1000, systemsIn, voidReason, type CellGroup } from './analysis';
import {
  CPU_GROUP_ORDER,
  fmtChange,
  fmtInt,
  fmtNum,
  fmtPercent,
  fmtRatio,
  fmtRecord,
  mdTable,
  mdText,
  SYSTEM_NAMES,
  SYSTEMS,
  type SystemKey,
} from './format';
import { checkTargets, targetMargin } from './targets';

const latencyCell = (step: StepResult | undefined, metric: 'firstAttemptMs' | 'addedToCallbackMs'): string =>
  step ? `${fmtNum(step[metric].p50)} / ${fmtNum(step[metric].p95)} / ${fmtNum(step[metric].p99)}` : '—';

function refinementWords(stamp: BenchRun['stamp']): string {
  const refinement = stamp.refinement;
  if (refinement === undefined) return ' (recorded before the knee was refined between steps)';
  if (refinement.maxProbes <= 0) return ' (refinement of the knee turned off for this run)';
  return `, then refinement probes bisecting between the last stable and the first unstable rate until they are at most ${fmtPercent(refinement.tolerance)} apart (at most ${refinement.maxProbes} probes per cell; a VOID probe counts as unstable)`;
}

function stampSection(run: BenchRun): string {
  const { stamp } = run;
  const versions = Object.entries(stamp.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `# Parc benchmark — ${stamp.matrix} matrix${stamp.label ? ` — ${mdText(stamp.label)}` : ''}`,
    '',
    `- Started ${stamp.startedAt}, commit \`${stamp.gitCommit}\`${stamp.gitDirty ? ' (working tree had uncommitted changes)' : ''}`,
    `- Machine: ${stamp.machine.cpus} × ${mdText(stamp.machine.cpuModel)}, ${stamp.machine.memoryGiB} GiB, ${mdText(stamp.machine.os)}`,
    `- Versions: ${mdText(versions)}`,
    `- Load: open loop (arrival times fixed in advance, latency from the intended send time), one staircase of offered rates per cell, climbed until a step is unstable${refinementWords(stamp)}; the knee is the highest stable rate. Every system, the load generator, the target and the callback receiver share this machine.`,
  ].join('\n');
}

function systemsSection(run: BenchRun): string {
  const seen = new Map<SystemKey, string>();
  for (const cell of run.cells) if (!seen.has(cell.system)) seen.set(cell.system, cell.systemDescription);
  const lines = SYSTEMS.filter((s) => seen.has(s)).map((s) => `- **${s} — ${SYSTEM_NAMES[s]}**: ${mdText(seen.get(s) ?? '')}`);
  return ['## Systems', '', ...lines].join('\n');
}

/** "2,004 (knee 2,000; 2,125 unstable)", with how far apart when the knee is not known within the tolerance. */
function kneeCell(cell: CellResult | undefined): string {
  if (!cell) return '—';
  const { knee, unstable, relativeGap } = kneeBracket(cell);
  if (knee === 0) return '0 (no stable step)';
  if (unstable === undefined) return `${fmtNum(cell.maxSustainableRate)} (knee ≥ ${fmtNum(knee)}, never unstable)`;
  const loose = relativeGap !== undefined && relativeGap > DEFAULT_REFINE.tolerance + 1e-9 ? `, ${fmtPercent(relativeGap)} apart` : '';
  return `${fmtNum(cell.maxSustainableRate)} (knee ${fmtNum(knee)}; ${fmtNum(unstable)} unstable${loose})`;
}

function summarySection(groups: readonly CellGroup[]): string {
  const rows = groups.map((group) => {
    const ratios = cellRatios(group);
    const cpu = (s: SystemKey): string => fmtNum(ratios.cpuMsPer1000[s]);
    return [
      group.title,
      kneeCell(group.systems.P),
      kneeCell(group.systems.A),
      kneeCell(group.systems.B),
      fmtRatio(ratios.rateRatio.PA),
      fmtRatio(ratios.rateRatio.PB),
      ratios.cpuComparedAtRate === undefined ? '—' : `${fmtNum(ratios.cpuComparedAtRate)}/s`,
      cpu('P'),
      cpu('A'),
      cpu('B'),
      fmtRatio(ratios.cpuRatio.PA),
      fmtRatio(ratios.cpuRatio.PB),
    ];
  });
  return [
    '## Summary: max sustainable rate and CPU per request, P against A and B',
    '',
    `Max sustainable rate: completed callbacks/s at the knee, the highest offered rate found stable; the next rate named is the lowest found unstable or VOID above it (staircase step or refinement probe), so the knee lies between the two (flagged when they are more than ${fmtPercent(DEFAULT_REFINE.tolerance)} apart). CPU-ms / 1,000: CPU of the system's own processes (its services, Redis and the Kafka JVM; not the driver) per 1,000 finished requests, every system at the same offered rate — the highest that every system in the cell ran stable — because the cost per request falls as the rate rises (fixed costs spread over more requests). P/A CPU = P's CPU per request over A's: 2.00 means P spends twice A's CPU per request (lower is better for P; for the rates higher is better).`,
    '',
    mdTable(['cell', 'P Parc /s', 'A BullMQ /s', 'B in-memory /s', 'P/A rate', 'P/B rate', 'CPU compared at', 'P CPU-ms / 1,000', 'A CPU-ms / 1,000', 'B CPU-ms / 1,000', 'P/A CPU', 'P/B CPU'], rows),
  ].join('\n');
}

function latencySection(groups: readonly CellGroup[]): string {
  const rows = groups.flatMap((group) =>
    systemsIn(group).map((s) => {
      const half = group.systems[s]?.atHalfKnee;
      return [group.title, s, half ? fmtNum(half.offeredRate) : '—', latencyCell(half, 'firstAttemptMs'), latencyCell(half, 'addedToCallbackMs')];
    }),
  );
  return [
    '## Added latency at 50 % of each system\'s knee (ms, p50 / p95 / p99)',
    '',
    'First attempt: intended send time → the target sees the first attempt. Added to callback: intended send time → callback received, minus the target\'s own time on every attempt (so retries\' backoff waits count as added).',
    '',
    mdTable(['cell', 'system', 'offered/s', 'to first attempt', 'added to callback'], rows, 2),
  ].join('\n');
}

function resourcesSection(groups: readonly CellGroup[]): string {
  const rows = groups.flatMap((group) =>
    systemsIn(group).map((s) => {
      const cell = group.systems[s] as CellResult;
      const half = cell.atHalfKnee;
      return [
        group.title,
        s,
        half ? fmtNum(half.offeredRate) : '—',
        half ? fmtNum(systemCpuMsPer1000(half)) : '—',
        half ? fmtRecord(half.cpuMsPer1000, CPU_GROUP_ORDER) : '—',
        fmtRecord(cell.idleRssMb),
        fmtRecord(peakRss(cell)),
      ];
    }),
  );
  return [
    '## CPU and memory',
    '',
    'CPU-ms per 1,000 completed requests at half the knee: the system (services + Redis + Kafka JVM, not the driver), then per process group (services: the system\'s own processes; driver: the load generator, target and receiver, all in the bench process). Half the knee differs between systems, so compare systems with the summary\'s CPU columns (one rate for all); every step\'s system CPU is in the ledger below. RSS in MB: idle before the staircase, and the peak over the cell.',
    '',
    mdTable(['cell', 'system', '½ knee /s', 'system CPU-ms / 1,000', 'CPU-ms / 1,000 by group', 'idle RSS', 'peak RSS'], rows, 7),
  ].join('\n');
}

function stepRow(group: CellGroup, system: SystemKey, step: StepResult, label: string): string[] {
  const { ledger } = step;
  const reason = voidReason(ledger);
  const state = reason ? `**VOID**: ${mdText(reason)}` : step.stable ? 'stable' : `unstable: ${mdText(step.unstableReason ?? '')}`;
  return [
    group.title,
    system,
    label,
    fmtInt(step.offeredRate),
    fmtInt(step.completedRate),
    fmtInt(ledger.sent),
    fmtInt(ledger.completed),
    fmtInt(ledger.failed),
    fmtInt(ledger.inFlight),
    fmtInt(ledger.duplicates),
    fmtInt(ledger.anomalies),
    fmtNum(systemCpuMsPer1000(step)),
    state,
  ];
}

function ledgerSection(groups: readonly CellGroup[]): string {
  const rows = groups.flatMap((group) =>
    systemsIn(group).flatMap((s) => {
      const cell = group.systems[s] as CellResult;
      const steps = cell.steps.map((step) => stepRow(group, s, step, step.probe ? '*probe*' : 'stair'));
      return cell.atHalfKnee ? [...steps, stepRow(group, s, cell.atHalfKnee, '½ knee')] : steps;
    }),
  );
  return [
    '## Ledger of every step',
    '',
    `Staircase steps in the order they ran, then the refinement probes (*probe*: a normal step, same duration, drain and stability rules, bisecting between the last stable and the first unstable rate until they are at most ${fmtPercent(DEFAULT_REFINE.tolerance)} apart), then the half-knee step. sent = completed (succeeded) + failed (final failure callbacks) + in flight at the cut-off. A step whose ledger does not balance (an unknown or refused id, or more results than sent) is VOID and never counts as a knee (a VOID probe counts as unstable). CPU: the system's CPU-ms per 1,000 finished requests (services + Redis + Kafka JVM, not the driver).`,
    '',
    mdTable(['cell', 'system', 'step', 'offered/s', 'completed/s', 'sent', 'completed', 'failed', 'in flight', 'duplicates', 'anomalies', 'CPU-ms / 1,000', 'state'], rows, 3),
  ].join('\n');
}

function checksSection(run: BenchRun): string {
  const issues = run.cells.flatMap((cell) => kneeIssues(cell).map((issue) => `- ${cell.system} ${cell.targetLatencyMs} ms ${Math.round(cell.failureRate * 100)} %: ${mdText(issue)}`));
  return ['## Data checks', '', issues.length === 0 ? 'Every recorded knee and half-knee step agrees with the steps it came from.' : issues.join('\n')].join('\n');
}

function targetsSection(run: BenchRun): string {
  const rows = checkTargets(run).map((t) => {
    const margin = targetMargin(t);
    const status = t.status === 'met' ? 'met' : t.status === 'missed' ? `**missed** by ${fmtNum(Math.abs((margin ?? 0) * 100))} %` : 'unmeasured';
    return [mdText(t.target), mdText(t.where), `${fmtNum(t.value)}${t.unit ? ` ${t.unit}` : ''}`, `${t.comparison} ${fmtNum(t.threshold)}`, status, mdText(t.note ?? '')];
  });
  return ['## The issue\'s targets for Parc', '', mdTable(['target', 'where', 'value', 'wanted', 'status', 'note'], rows, 2)].join('\n');
}

function chartsSection(groups: readonly CellGroup[], charts: ReadonlyMap<string, { throughput: string; latency: string }>): string {
  const lines = groups.flatMap((group) => {
    const files = charts.get(group.key);
    return files ? [`### ${group.title}`, '', `![throughput](${files.throughput})`, '', `![latency](${files.latency})`, ''] : [];
  });
  return ['## Charts', '', ...lines].join('\n');
}

/** The whole report; `charts` maps a cell key to its chart files (relative to the report). */
export function reportMarkdown(run: BenchRun, charts: ReadonlyMap<string, { throughput: string; latency: string }>, appendix?: string): string {
  const groups = groupCells(run);
  const sections = [
    stampSection(run),
    summarySection(groups),
    systemsSection(run),
    latencySection(groups),
    resourcesSection(groups),
    targetsSection(run),
    chartsSection(groups, charts),
    ledgerSection(groups),
    checksSection(run),
  ];
  if (appendix) sections.push(appendix);
  return `${sections.join('\n\n')}\n`;
}

/** Before/after per system and cell: max sustainable rate, latency at half the knee, CPU of the services. */
export function comparisonMarkdown(before: BenchRun, after: BenchRun): string {
  const beforeGroups = new Map(groupCells(before).map((group) => [group.key, group]));
  const rows = groupCells(after).flatMap((group) =>
    systemsIn(group).flatMap((s) => {
      const now = group.systems[s] as CellResult;
      const then = beforeGroups.get(group.key)?.systems[s];
      if (!then) return [];
      const nowHalf = now.atHalfKnee;
      const thenHalf = then.atHalfKnee;
      return [
        [
          group.title,
          s,
          `${fmtNum(then.maxSustainableRate)} → ${fmtNum(now.maxSustainableRate)} (${fmtChange(then.maxSustainableRate, now.maxSustainableRate)})`,
          `${fmtNum(thenHalf?.firstAttemptMs.p50)} → ${fmtNum(nowHalf?.firstAttemptMs.p50)}`,
          `${fmtNum(thenHalf?.firstAttemptMs.p99)} → ${fmtNum(nowHalf?.firstAttemptMs.p99)}`,
          `${fmtNum(thenHalf?.cpuMsPer1000['services'])} → ${fmtNum(nowHalf?.cpuMsPer1000['services'])} (${fmtChange(thenHalf?.cpuMsPer1000['services'], nowHalf?.cpuMsPer1000['services'])})`,
        ],
      ];
    }),
  );
  const title = (run: BenchRun): string => `${run.stamp.startedAt} \`${run.stamp.gitCommit.slice(0, 7)}\`${run.stamp.label ? ` (${mdText(run.stamp.label)})` : ''}`;
  return [
    '## Before / after',
    '',
    `Before: ${title(before)}. After: ${title(after)}.`,
    '',
    rows.length > 0
      ? mdTable(['cell', 'system', 'max sustainable/s', 'first attempt p50 ms', 'first attempt p99 ms', 'services CPU-ms / 1,000'], rows, 2)
      : 'The two runs share no system and cell.',
    ...ratioComparison(beforeGroups, groupCells(after)),
  ].join('\n');
}

/** P/A and P/B before → after, per cell both runs have (ratios computed from the cells: old runs recorded none). */
function ratioComparison(beforeGroups: ReadonlyMap<string, CellGroup>, afterGroups: readonly CellGroup[]): string[] {
  const cpu = (ratio: number | undefined, rate: number | undefined): string => (ratio === undefined ? '—' : `${fmtRatio(ratio)} at ${fmtNum(rate)}/s`);
  const rows = afterGroups.flatMap((group) => {
    const then = beforeGroups.get(group.key);
    if (!then || group.systems.P === undefined || then.systems.P === undefined) return [];
    const [b, a] = [cellRatios(then), cellRatios(group)];
    if (b.rateRatio.PA === undefined && a.rateRatio.PA === undefined && b.rateRatio.PB === undefined && a.rateRatio.PB === undefined) return [];
    return [
      [
        group.title,
        `${fmtRatio(b.rateRatio.PA)} → ${fmtRatio(a.rateRatio.PA)}`,
        `${fmtRatio(b.rateRatio.PB)} → ${fmtRatio(a.rateRatio.PB)}`,
        `${cpu(b.cpuRatio.PA, b.cpuComparedAtRate)} → ${cpu(a.cpuRatio.PA, a.cpuComparedAtRate)}`,
        `${cpu(b.cpuRatio.PB, b.cpuComparedAtRate)} → ${cpu(a.cpuRatio.PB, a.cpuComparedAtRate)}`,
      ],
    ];
  });
  if (rows.length === 0) return [];
  return [
    '',
    'P against A and B, before → after (CPU per request compared at the highest rate every system of the cell ran stable, in each run; a ratio is — when a run lacks the other system):',
    '',
    mdTable(['cell', 'P/A rate', 'P/B rate', 'P/A CPU per request', 'P/B CPU per request'], rows),
  ];
}

/**
 * The Markdown report of a run: stamp, systems, per-cell knees and ratios, latency at half the
 * knee, CPU per 1,000 completed requests, RSS, the ledger of every step (void steps flagged), the
 * issue's targets, and the charts. Also the before/after comparison of two runs.
 */
import type { BenchRun, CellResult, StepResult } from '../results';
import { groupCells, kneeIssues, peakRss, rateRatio, systemsIn, voidReason, type CellGroup } from './analysis';
import {
  CPU_GROUP_ORDER,
  fmtChange,
  fmtInt,
  fmtNum,
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
    '- Load: open loop (arrival times fixed in advance, latency from the intended send time), one staircase of offered rates per cell, climbed until a step is unstable; the knee is the highest stable step. Every system, the load generator, the target and the callback receiver share this machine.',
  ].join('\n');
}

function systemsSection(run: BenchRun): string {
  const seen = new Map<SystemKey, string>();
  for (const cell of run.cells) if (!seen.has(cell.system)) seen.set(cell.system, cell.systemDescription);
  const lines = SYSTEMS.filter((s) => seen.has(s)).map((s) => `- **${s} — ${SYSTEM_NAMES[s]}**: ${mdText(seen.get(s) ?? '')}`);
  return ['## Systems', '', ...lines].join('\n');
}

function summarySection(groups: readonly CellGroup[]): string {
  const rows = groups.map((group) => {
    const rate = (s: SystemKey): string => {
      const cell = group.systems[s];
      return cell ? `${fmtNum(cell.maxSustainableRate)} (knee ${fmtNum(cell.kneeRate)})` : '—';
    };
    return [group.title, rate('P'), rate('A'), rate('B'), fmtRatio(rateRatio(group, 'A')), fmtRatio(rateRatio(group, 'B'))];
  });
  return [
    '## Max sustainable completed-callback rate (callbacks/s)',
    '',
    mdTable(['cell', 'P Parc', 'A BullMQ', 'B in-memory', 'P/A', 'P/B'], rows),
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
      return [group.title, s, half ? fmtRecord(half.cpuMsPer1000, CPU_GROUP_ORDER) : '—', fmtRecord(cell.idleRssMb), fmtRecord(peakRss(cell))];
    }),
  );
  return [
    '## CPU and memory',
    '',
    'CPU-ms per 1,000 completed requests at half the knee, per process group (services: the system\'s own processes; driver: the load generator, target and receiver, all in the bench process). RSS in MB: idle before the staircase, and the peak over the cell.',
    '',
    mdTable(['cell', 'system', 'CPU-ms / 1,000', 'idle RSS', 'peak RSS'], rows, 5),
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
    state,
  ];
}

function ledgerSection(groups: readonly CellGroup[]): string {
  const rows = groups.flatMap((group) =>
    systemsIn(group).flatMap((s) => {
      const cell = group.systems[s] as CellResult;
      const steps = cell.steps.map((step) => stepRow(group, s, step, 'stair'));
      return cell.atHalfKnee ? [...steps, stepRow(group, s, cell.atHalfKnee, '½ knee')] : steps;
    }),
  );
  return [
    '## Ledger of every step',
    '',
    'sent = completed (succeeded) + failed (final failure callbacks) + in flight at the cut-off. A step whose ledger does not balance (an unknown or refused id, or more results than sent) is VOID and never counts as a knee.',
    '',
    mdTable(['cell', 'system', 'step', 'offered/s', 'completed/s', 'sent', 'completed', 'failed', 'in flight', 'duplicates', 'anomalies', 'state'], rows, 3),
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
    systemsSection(run),
    summarySection(groups),
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
  ].join('\n');
}

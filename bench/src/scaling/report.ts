/**
 * The scaling bench's files: `scaling-<UTC time>-<commit>.json` (every number, the per-second
 * series and the decision log), `.md` (the report) and `.svg` (seed 001's figure: load against
 * allocation over time, one line per configuration and the simulator's).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStamp } from '../results';
import { fmtInt, fmtNum, mdTable, mdText, stampName } from '../report/format';
import { loadAllocationChart, type ChartLine } from '../../simulate/chart';
import { jsonText } from '../../simulate/report';
import type { TraceRun } from '../../simulate/run';
import { durationS, meanRate, peakRate, type Trace } from '../../simulate/trace';
import type { CatchUp } from './analysis';
import { disagreements, simulatedVsLive, type ModelRates } from './compare';
import type { ConfigurationId } from './stacks';
import type { ConfigurationResult } from './summary';
import type { ScalingTarget } from './targets';

export interface ScalingRun {
  readonly benchmark: 'scaling';
  readonly stamp: Omit<RunStamp, 'matrix' | 'refinement'>;
  readonly trace: Trace;
  readonly setup: {
    readonly targetLatencyMs: number;
    readonly budget: { readonly cpuMillis: number; readonly memoryMiB: number };
    /** One sentence per configuration: what runs. */
    readonly configurations: Readonly<Partial<Record<ConfigurationId, string>>>;
    readonly notes: readonly string[];
  };
  readonly configurations: readonly ConfigurationResult[];
  readonly simulated: { readonly model: string; readonly controllers: TraceRun['runs']; readonly workload: TraceRun['workload'] };
  readonly targets: readonly ScalingTarget[];
  readonly model: ModelRates;
  readonly durationS: number;
}

export const CONFIGURATION_COLOURS: Readonly<Record<ConfigurationId, string>> = { scheduler: '#0072B2', 'static-default': '#E69F00', 'static-peak': '#D55E00' };

export function scalingRunName(stamp: Omit<RunStamp, 'matrix' | 'refinement'>): string {
  return `scaling-${stampName({ ...stamp, matrix: 'quick' })}`;
}

const column = (result: ConfigurationResult, name: string): [number, number][] => {
  const index = result.perSecond.columns.indexOf(name);
  // A row's value covers its second [k, k + 1): drawn at its end, as the simulator's points are.
  return result.perSecond.rows.map((row) => [(row[0] ?? 0) + 1, row[index] ?? 0]);
};

/** Seed 001's figure, live: offered and completed requests per second on top; CPU requested and used by each configuration below, with the simulator's scheduler and the CPU needed. */
export function scalingChart(run: ScalingRun): string {
  const lines: ChartLine[] = [];
  const completed: ChartLine[] = [];
  for (const result of run.configurations) {
    const colour = CONFIGURATION_COLOURS[result.id];
    lines.push({ label: result.id, colour, points: column(result, 'allocatedCpuMillis'), ...(result.id === 'scheduler' ? {} : { width: 1.5 }) });
    lines.push({ label: `${result.id} used`, colour, points: column(result, 'usedCpuMillis'), width: 1, dash: '1 2', unlisted: true });
    completed.push({ label: `${result.id} completed`, colour, points: column(result, 'completed'), width: 1 });
  }
  const simulated = run.simulated.controllers.find((c) => c.metrics.controller === 'scheduler');
  if (simulated) lines.push({ label: 'scheduler, simulated', colour: CONFIGURATION_COLOURS.scheduler, points: simulated.timeline.map((p) => [p.tS, p.allocatedCpuMillis] as const), width: 1.5, dash: '6 3' });
  const describe = run.configurations.map((r) => `${r.id}: CPU requested ${fmtNum(r.allocatedCoreS)} core·s (peak ${fmtNum(r.peakAllocatedCpuMillis)} m), used ${fmtNum(r.cpuSeconds)} CPU·s, backlog ${fmtNum(r.backlogSeconds)} request·s`);
  return loadAllocationChart({
    title: `Load and allocation, live — ${run.trace.name} (${run.setup.targetLatencyMs} ms target)`,
    description: `${run.trace.description} ${describe.join('; ')}.`,
    workload: run.simulated.workload,
    workloadLines: completed,
    allocation: lines,
    capacityCpuMillis: run.setup.budget.cpuMillis,
    allocationAxis: 'CPU (millicores)',
    footnote: 'solid: CPU requested by the running processes · dotted: CPU they used · dashed: the simulator · thin top: completed/s',
  });
}

const s = (value: number | undefined): string => (value === undefined ? '—' : fmtNum(value));

function catchUpCell(c: CatchUp | undefined): string {
  if (!c) return '—';
  if (c.caughtUpAfterS !== undefined) return `${fmtNum(c.caughtUpAfterS)} s (peak backlog ${fmtInt(c.peakBacklog)})`;
  return `not within ${fmtNum(c.horizonS)} s (${c.notCaughtUp === 'next-event' ? 'the next spike came first' : 'the run ended'}; peak ${fmtInt(c.peakBacklog)})`;
}

function resultsTable(run: ScalingRun): string {
  return mdTable(
    ['configuration', 'offered', 'called back', 'unfinished', 'backlog-seconds', 'of which in calls', 'time in system p50 / p99 / max (s)', 'CPU-seconds (Parc)', 'CPU-seconds (Redis + Kafka)', 'process-seconds', 'peak processes', 'CPU requested core·s (peak m)'],
    run.configurations.map((r) => [
      r.id,
      fmtInt(r.requests.offered),
      fmtInt(r.requests.calledBack),
      fmtInt(r.requests.unfinished),
      fmtNum(r.backlogSeconds),
      fmtNum(r.inCallSeconds),
      `${fmtNum(r.timeInSystemS.p50)} / ${fmtNum(r.timeInSystemS.p99)} / ${fmtNum(r.timeInSystemS.max)}`,
      fmtNum(r.cpuSeconds),
      fmtNum(r.infrastructureCpuSeconds),
      fmtNum(r.processSeconds),
      fmtInt(r.peakProcesses),
      `${fmtNum(r.allocatedCoreS)} (${fmtInt(r.peakAllocatedCpuMillis)})`,
    ]),
  );
}

/** Refusals, duplicates and requests never called back, per configuration: what the ledger says beyond the table. */
function ledgerLines(run: ScalingRun): string[] {
  return run.configurations.map((r) => {
    const { requests } = r;
    const startedLater = r.processes.filter((p) => p.firstSeenS > 0).length;
    const stopped = r.processes.filter((p) => p.goneS !== undefined && p.goneS <= r.window.observedUntilS - 1).length;
    const own = r.scheduler?.ownCpuSeconds;
    const parts = [`${fmtInt(startedLater)} processes started and ${fmtInt(stopped)} stopped during the run`, ...(own === undefined ? [] : [`${fmtNum(own)} of its CPU-seconds the scheduler process's own`]), `${fmtInt(requests.refused)} refused at the ingress`, `${fmtInt(requests.duplicateCallbacks)} duplicate callbacks`, `${fmtInt(requests.extraCalls)} calls beyond one per request`, `${fmtInt(requests.anomalies)} receiver anomalies`, `the load generator at most ${fmtInt(requests.maxSendLagMs)} ms behind`];
    if (requests.unfinished > 0) {
      const listed = r.unfinishedRequests ?? [];
      const called = listed.filter((u) => u.firstCallS !== null).length;
      if (listed.length === 0) parts.push(`**${fmtInt(requests.unfinished)} accepted and never called back** by ${fmtNum(r.window.observedUntilS)} s`);
      else
        parts.push(
        `**${fmtInt(requests.unfinished)} accepted and never called back** by ${fmtNum(r.window.observedUntilS)} s (of the first ${listed.length}: ${called} had been called at the target, ${listed.length - called} never reached it; accepted between ${fmtNum(Math.min(...listed.map((u) => u.acceptedS)))} and ${fmtNum(Math.max(...listed.map((u) => u.acceptedS)))} s; their ids are in the JSON)`,
      );
    }
    const byApp = r.cpuMsPerRequestByApp;
    if (byApp !== undefined && Object.keys(byApp).length > 0) {
      parts.push(`CPU per request offered, by app (ms): ${Object.entries(byApp).sort(([a], [b]) => a.localeCompare(b)).map(([app, ms]) => `${app} ${fmtNum(ms)}`).join(', ')}`);
    }
    return `- ${r.id}: ${parts.join('; ')}.`;
  });
}

function catchUpTable(run: ScalingRun): string {
  const events = run.configurations[0]?.catchUp ?? [];
  return mdTable(
    ['event', ...run.configurations.map((r) => r.id)],
    events.map((event, i) => [`${event.kind} to ${fmtInt(event.peakRate)}/s, ${fmtNum(event.startS)}–${fmtNum(event.endS)} s`, ...run.configurations.map((r) => catchUpCell(r.catchUp[i]))]),
    9,
  );
}

function schedulerSection(result: ConfigurationResult): string[] {
  const sched = result.scheduler;
  if (!sched) return [];
  const lines = ['## The scheduler\'s decisions', ''];
  const byKey = new Map<string, { up: number; down: number }>();
  for (const e of sched.scaleEvents) {
    const entry = byKey.get(e.key) ?? { up: 0, down: 0 };
    if (e.to > e.from) entry.up++;
    else entry.down++;
    byKey.set(e.key, entry);
  }
  const extra = sched.extraParcs;
  lines.push(
    `${fmtInt(sched.ticks)} ticks; CPU planned at most ${fmtInt(sched.peakPlannedCpuMillis)} m of the ${fmtInt(sched.capacityCpuMillis)} m capacity; ${sched.budgetViolations.length} budget violation(s). ` +
      `Parcs created: ${extra.created.length === 0 ? 'none' : extra.created.join(', ')}; ` +
      `${extra.leftAtEnd.length > 0 ? `still there ${fmtNum(extra.observedAfterS)} s after the load ended: ${extra.leftAtEnd.join(', ')}` : extra.created.length === 0 ? 'no extra Parc to remove' : `the last extra Parc's processes gone ${s(extra.processesGoneAfterS)} s after the load ended (removed from the plan at ${s(extra.removedFromPlanAfterS)} s)`}.`,
    '',
  );
  lines.push('Parc set changes:', '');
  lines.push(sched.parcChanges.length === 0 ? 'none.' : mdTable(['t (s)', 'Parc', 'action', 'reason'], sched.parcChanges.map((c) => [fmtNum(c.tS), c.id, c.action, mdText(c.reason)]), 9));
  lines.push('', 'Scale events (planned changes of a stage\'s instances, and of a Parc\'s caller parallelism), by stage:', '');
  lines.push(mdTable(['stage', 'up', 'down'], [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, n]) => [key, String(n.up), String(n.down)])));
  lines.push('', `<details><summary>All ${sched.scaleEvents.length} scale events</summary>`, '');
  lines.push(mdTable(['t (s)', 'stage', 'from', 'to', 'reason'], sched.scaleEvents.map((e) => [fmtNum(e.tS), e.key, String(e.from), String(e.to), mdText(e.reason)]), 9), '', '</details>', '');
  lines.push('Callers the scheduler stopped, and how long their consumer in `ready` still held entries after the decision (see Definitions):', '');
  lines.push(
    sched.callerStops.length === 0
      ? 'none.'
      : mdTable(
          ['Parc', 'port', 'cause', 'decision at (s)', 'exited at (s)', 'held at the decision', 'held for (s)', 'port reused at (s)'],
          [...sched.callerStops].sort((a, b) => a.stopS - b.stopS || a.port - b.port).map((c) => [c.parcId, String(c.port), c.cause, fmtNum(c.stopS), fmtNum(c.exitS), c.consumer === undefined ? 'never joined' : fmtInt(c.heldAtStop), c.consumer === undefined ? '—' : s(c.heldForS), s(c.portReusedS)]),
          1,
        ),
  );
  if (sched.pendingProbe) lines.push('', `The pending probe sampled ${fmtInt(sched.pendingProbe.samples)} times (${fmtInt(sched.pendingProbe.failures)} reads failed: a stream not there yet, or Redis too slow to answer within 1 s).`);
  lines.push('');
  return lines;
}

function simulatedSection(run: ScalingRun): string[] {
  const rows = simulatedVsLive({ trace: run.trace, workload: run.simulated.workload, runs: run.simulated.controllers }, run.configurations);
  return [
    '## Simulated and live',
    '',
    mdText(run.simulated.model),
    '',
    mdTable(
      ['configuration', 'CPU requested core·s: model / live', 'peak m: model / live', 'backlog waiting in queues: model message·s / live request·s', 'longest in system s: model / live', 'inside at the trace\'s end: model / live'],
      rows.map((r) => [
        r.configuration,
        `${fmtNum(r.simulated.allocatedCoreS)} / ${fmtNum(r.live.allocatedCoreS)}`,
        `${fmtInt(r.simulated.peakAllocatedCpuMillis)} / ${fmtInt(r.live.peakAllocatedCpuMillis)}`,
        `${fmtNum(r.simulated.backlogMessageS)} / ${fmtNum(r.live.queueBacklogSeconds)}`,
        `${fmtNum(r.simulated.maxTimeInSystemS)} / ${fmtNum(r.live.maxTimeInSystemS)}`,
        `${fmtInt(r.simulated.unfinished)} / ${fmtInt(r.live.unfinishedAtTraceEnd)}`,
      ]),
    ),
    '',
    'Where they disagree, and why:',
    '',
    ...disagreements(rows, run.configurations, run.model).map((line) => `- ${line}`),
    '',
  ];
}

function perSecondSection(run: ScalingRun): string[] {
  const lines = ['## Every 5 seconds', ''];
  for (const r of run.configurations) {
    const rows = r.perSecond.rows.filter((row) => (row[0] ?? 0) % 5 === 4);
    lines.push(`<details><summary>${r.id}</summary>`, '');
    lines.push(mdTable(['t (s)', 'offered/s', 'accepted/s', 'completed/s', 'backlog', 'processes', 'CPU requested (m)', 'CPU used (m)'], rows.map((row) => [String((row[0] ?? 0) + 1), ...row.slice(1).map((v) => fmtInt(v ?? 0))])));
    lines.push('', '</details>', '');
  }
  return lines;
}

export function scalingMarkdown(run: ScalingRun, chartFile: string): string {
  const { stamp, trace, setup } = run;
  const lines: string[] = [`# Scaling bench: the scheduler against static configurations, live${stamp.label ? ` — ${mdText(stamp.label)}` : ''}`, ''];
  lines.push(`Started ${stamp.startedAt}, commit \`${stamp.gitCommit.slice(0, 12)}\`${stamp.gitDirty ? ' (working tree dirty)' : ''}; ${stamp.machine.cpus} × ${mdText(stamp.machine.cpuModel)}, ${stamp.machine.memoryGiB} GiB, ${mdText(stamp.machine.os)}; Node ${stamp.versions['node'] ?? '?'}, Redis ${stamp.versions['redis'] ?? '?'}, Kafka ${stamp.versions['kafka'] ?? '?'}. The whole bench took ${fmtNum(run.durationS / 60)} min.`, '');
  lines.push('## Setup', '');
  lines.push(`- **Trace** \`${mdText(trace.name)}\`: ${mdText(trace.description)} ${fmtNum(durationS(trace))} s, peak ${fmtInt(peakRate(trace))}/s, mean ${fmtNum(meanRate(trace))}/s.`);
  lines.push(`- **Target**: an HTTP server on loopback in the bench process, answering every call after ${setup.targetLatencyMs} ms (no failures); every request a GET to it, its callback to a receiver in the bench process.`);
  for (const [id, text] of Object.entries(setup.configurations)) lines.push(`- **${id}**: ${mdText(text)}`);
  for (const note of setup.notes) lines.push(`- ${mdText(note)}`);
  lines.push('', '## Results', '', resultsTable(run), '');
  lines.push(...ledgerLines(run), '');
  lines.push('Time to catch up after each step and spike: from the event\'s end until the backlog is back to its level before the event (see Definitions).', '', catchUpTable(run), '');
  lines.push('## Targets (issue #13)', '');
  lines.push(mdTable(['target', 'value', 'threshold', 'status', 'by how much'], run.targets.map((t) => [mdText(t.target), mdText(t.value), mdText(t.threshold), t.status === 'met' ? 'met' : `**${t.status}**`, mdText(t.margin)]), 9), '');
  lines.push(`![Load and allocation over time, per configuration](${chartFile})`, '');
  for (const result of run.configurations) lines.push(...schedulerSection(result));
  lines.push(...simulatedSection(run));
  lines.push('## Definitions: how each figure is measured', '');
  lines.push(
    '- *Offered*: requests due per second by the trace (sent open loop: a slow system cannot slow the load). *Accepted*: the proxy answered 202. *Completed*: the callback (its final result) reached the receiver.',
    '- *Backlog*: requests accepted and not yet called back; *backlog-seconds*: its integral over the run (each request counts from its 202 to its callback, or to the end of the observation). It includes the time in calls at the target (*of which in calls*: calls × the target\'s latency); the simulator\'s backlog counts only messages waiting in queues, so the comparison uses backlog-seconds minus the time in calls.',
    '- *Catch-up*: the backlog is sampled once a second; its level before an event is its mean over the 10 s before it; it is back when it is at most 1.25 × that level + 10. The time counts from the event\'s end (during a step more requests are in calls, so the backlog cannot be back before it ends); none is given when the next spike begins or the run ends first.',
    '- *CPU-seconds (Parc)*: user + system CPU time from `/proc/<pid>/stat` of the configuration\'s processes over the trace (load start to the end of its quiet end): for the scheduler, the scheduler process and every instance its driver started (its descendants in the process tree, read every 0.5 s; an instance that exits moves into the scheduler\'s cutime/cstime when reaped, so none of its CPU is lost); for a static configuration, every instance. Redis and the Kafka JVM are counted apart. The bench process (load generator, target, receiver) is not counted.',
    '- *Process-seconds*: the processes running (the scheduler included), integrated over the same window, from the same samples. *CPU requested*: the running instances × their CPU request in the scaling policy (the simulator\'s *allocated*), the scheduler process not counted.',
    '- *Instances and Parcs over time*: for the scheduler from its decision log (`GET /v1/scheduler/decisions`, polled every 10 s and once at the end; every tick is in the JSON) and from the process samples; fixed for the static ones.',
    '- *Budget violations*: decisions whose plan reserves more CPU or memory (`plan.budget.planned`) than the capacity it was given.',
    '- *Extra Parcs gone*: the Parcs other than p1; the time after the load\'s end at which the last of their processes had exited (and at which the plan no longer listed them).',
    '- *Delay by a scale-down*: every 0.25 s the bench reads `XINFO CONSUMERS <ns>:{pN}:ready parc-caller` on the Parcs\' Redis. For each caller process that went (seen in the process samples), the decision that stopped it is the last one before it went that lowered its Parc\'s callers, changed their parallelism (a roll) or removed the Parc; its consumer is the one named after its port. *Held for* is the time from that decision until its consumer had no pending entries (finished, or handed back and taken over by another caller) or had left the group; entries it still holds have waited that long because their instance went. A new instance on the same port takes the consumer\'s name and adopts what it held: the time ends there.',
    '',
  );
  lines.push(...perSecondSection(run));
  return `${lines.join('\n')}\n`;
}

export interface WrittenScalingReport {
  readonly json: string;
  readonly markdown: string;
  readonly chart: string;
}

/** The JSON: indented, number arrays on one line, and each decision of the log on a line of its own. */
export function scalingJson(run: ScalingRun): string {
  const marker = '"@decisions@"';
  const decisions: string[] = [];
  const configurations = run.configurations.map((result) => {
    if (!result.scheduler) return result;
    decisions.push(result.scheduler.decisions.map((entry) => JSON.stringify(entry)).join(',\n'));
    return { ...result, scheduler: { ...result.scheduler, decisions: [marker.slice(1, -1)] } };
  });
  let text = jsonText({ ...run, configurations });
  for (const lines of decisions) text = text.replace(marker, lines);
  return text;
}

/** Writes the three files into `dir`; `rendering` leaves the JSON (the record of the run) as it is. */
export function writeScalingReport(run: ScalingRun, name: string, dir: string, rendering = false): WrittenScalingReport {
  const files = { json: join(dir, `${name}.json`), markdown: join(dir, `${name}.md`), chart: join(dir, `${name}.svg`) };
  if (!rendering) writeFileSync(files.json, scalingJson(run));
  writeFileSync(files.chart, scalingChart(run));
  writeFileSync(files.markdown, scalingMarkdown(run, `${name}.svg`));
  return files;
}

/**
 * A trace's results as files: JSON (every number and the per-second timelines), Markdown (the
 * table, the comparisons with each baseline, the issue's checks) and the SVG chart. Nothing in
 * them depends on the time or machine of the run, so the same input writes the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failurePercent, fmtChange, fmtInt, fmtNum, mdTable, mdText } from '../src/report/format';
import { allocationChart } from './chart';
import { shortfallPercent, surplusPercent, type ControllerMetrics } from './metrics';
import type { SimulationConfig } from './model';
import type { TraceRun } from './run';
import { durationS, meanRate, peakRate } from './trace';

/** The issue's targets for the parc controller. */
export const SURPLUS_TARGET_PERCENT = 15;

export interface Check {
  readonly description: string;
  readonly holds: boolean;
}

function find(run: TraceRun, name: string): ControllerMetrics | undefined {
  return run.runs.find((r) => r.metrics.controller === name)?.metrics;
}

/** The issue's checks, for the parc controller against the baselines (stated for the spike trace; shown for every trace). */
export function checks(run: TraceRun): Check[] {
  const parc = find(run, 'parc');
  if (!parc) return [];
  const result: Check[] = [];
  for (const name of ['hpa-like', 'keda-like']) {
    const other = find(run, name);
    if (other) result.push({ description: `backlog-seconds: parc ${fmtNum(parc.backlogMessageS)} < ${name} ${fmtNum(other.backlogMessageS)}`, holds: parc.backlogMessageS < other.backlogMessageS });
  }
  const peak = find(run, 'static-peak');
  if (peak) result.push({ description: `surplus: parc ${fmtNum(parc.surplusCoreS)} < static-peak ${fmtNum(peak.surplusCoreS)} core·s`, holds: parc.surplusCoreS < peak.surplusCoreS });
  result.push({ description: `parc surplus ${fmtNum(surplusPercent(parc))} % ≤ ${SURPLUS_TARGET_PERCENT} % of needed`, holds: surplusPercent(parc) <= SURPLUS_TARGET_PERCENT });
  result.push({ description: `parc budget violations ${parc.budgetViolations} = 0`, holds: parc.budgetViolations === 0 });
  return result;
}

/** One sentence per baseline: what parc saves or costs against it, and what it serves better or worse. */
function comparison(parc: ControllerMetrics, other: ControllerMetrics): string {
  return (
    `**${mdText(other.controller)}** allocated ${fmtNum(other.allocatedCoreS)} core·s, parc ${fmtNum(parc.allocatedCoreS)} (${fmtChange(other.allocatedCoreS, parc.allocatedCoreS)}); ` +
    `surplus ${fmtNum(other.surplusCoreS)} vs parc ${fmtNum(parc.surplusCoreS)} core·s, shortfall ${fmtNum(other.shortfallCoreS)} vs ${fmtNum(parc.shortfallCoreS)}; ` +
    `backlog ${fmtNum(other.backlogMessageS)} vs parc ${fmtNum(parc.backlogMessageS)} message·s; ` +
    `longest time in system ${fmtNum(other.maxTimeInSystemS)} s vs ${fmtNum(parc.maxTimeInSystemS)} s; ` +
    `budget violations ${other.budgetViolations} vs ${parc.budgetViolations}.`
  );
}

export function describeModel(config: SimulationConfig): string {
  const { target, retry, capacity } = config;
  return (
    `Model: ${config.stepMs} ms steps, seed ${config.seed}; calls lognormal around ${target.medianLatencyMs} ms (σ ${target.latencySigma}), ` +
    `${failurePercent(target.failureRate)} % of attempts fail and are retried (${retry.maxAttempts} attempts, backoff ${fmtInt(retry.initialDelayMs)} ms × ${retry.multiplier}ⁿ, ${retry.jitter} jitter); ` +
    `an instance is ready ${config.processStartMs / 1000} s after it is created, a new Parc ${config.parcStartMs / 1000} s; ` +
    `budget ${fmtInt(capacity.cpuMillis)} m CPU, ${fmtInt(capacity.memoryMiB)} MiB.`
  );
}

export function markdown(run: TraceRun, config: SimulationConfig, svgFile: string): string {
  const { trace } = run;
  const header = [
    'controller',
    'allocated core·s',
    'needed core·s',
    'surplus core·s',
    'surplus %',
    'shortfall %',
    'backlog message·s',
    'p99 in system s',
    'max in system s',
    'max queue wait s',
    'unfinished',
    'budget violations',
    'scaling changes',
  ];
  const rows = run.runs.map(({ metrics: m }) => [
    mdText(m.controller),
    fmtNum(m.allocatedCoreS),
    fmtNum(m.neededCoreS),
    fmtNum(m.surplusCoreS),
    fmtNum(surplusPercent(m)),
    fmtNum(shortfallPercent(m)),
    fmtNum(m.backlogMessageS),
    fmtNum(m.p99TimeInSystemS),
    fmtNum(m.maxTimeInSystemS),
    fmtNum(m.maxQueueWaitS),
    fmtInt(m.unfinished),
    fmtInt(m.budgetViolations),
    fmtInt(m.scalingChanges),
  ]);
  const parc = find(run, 'parc');
  const lines = [
    `# What-if simulation: ${mdText(trace.name)}`,
    '',
    `${mdText(trace.description)} Duration ${fmtNum(durationS(trace))} s, peak ${fmtNum(peakRate(trace))} requests/s, mean ${fmtNum(meanRate(trace))}/s.`,
    '',
    mdText(describeModel(config)),
    '',
    mdTable(header, rows),
    '',
    'Core·s are CPU core-seconds; surplus and shortfall are per stage, against the fewest instances that serve the offered rate at 100 % (see bench/simulate/README.md).',
  ];
  if (parc) {
    lines.push('', '## Against the baselines', '', ...run.runs.filter((r) => r.metrics !== parc).map((r) => `- ${comparison(parc, r.metrics)}`));
    lines.push(
      '',
      '## The issue\'s checks',
      '',
      'Stated for the spike trace; computed alike for every trace.',
      '',
      ...checks(run).map((check) => `- ${check.holds ? 'holds' : '**does not hold**'}: ${mdText(check.description)}`),
    );
  }
  lines.push('', `![Workload and CPU allocated per controller](${svgFile})`, '');
  return lines.join('\n');
}

/** Numbers of a per-second series rounded to 0.1: finer than anything the model can claim. */
const round = (value: number): number => Math.round(value * 10) / 10;

/** Everything, with the per-second series as rows of numbers (`columns` names them) to keep the file small. */
export function toJson(run: TraceRun, config: SimulationConfig): unknown {
  return {
    trace: run.trace,
    config,
    controllers: run.runs.map((r) => ({ ...r.metrics, surplusPercent: surplusPercent(r.metrics), shortfallPercent: shortfallPercent(r.metrics) })),
    checks: checks(run),
    workload: { columns: ['tS', 'offeredRate', 'neededCpuMillis'], rows: run.workload.map((p) => [p.tS, round(p.offeredRate), p.neededCpuMillis]) },
    timelines: {
      columns: ['tS', 'allocatedCpuMillis', 'waiting'],
      rows: Object.fromEntries(run.runs.map((r) => [r.metrics.controller, r.timeline.map((p) => [p.tS, p.allocatedCpuMillis, p.waiting])])),
    },
  };
}

/** Indented JSON with every array of plain numbers on one line. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 1).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, inner: string) => `[${inner.replace(/\s+/g, '')}]`)}\n`;
}

export interface Written {
  readonly json: string;
  readonly markdown: string;
  readonly svg: string;
}

export function writeResults(run: TraceRun, config: SimulationConfig, outDir: string): Written {
  mkdirSync(outDir, { recursive: true });
  const base = `simulate-${run.trace.name}`;
  const files = { json: join(outDir, `${base}.json`), markdown: join(outDir, `${base}.md`), svg: join(outDir, `${base}.svg`) };
  writeFileSync(files.json, jsonText(toJson(run, config)));
  writeFileSync(files.markdown, markdown(run, config, `${base}.svg`));
  writeFileSync(files.svg, allocationChart(run, config.capacity.cpuMillis));
  return files;
}

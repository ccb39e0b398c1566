/**
 * Writes a run to bench/results/: `<stamp>.json` (the data), `<stamp>.md` (the report) and two
 * SVG charts per cell under `<stamp>/`, and points `latest.md` at the newest report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRun } from '../results';
import { groupCells } from './analysis';
import { latencyChart, throughputChart } from './charts';
import { stampName } from './format';
import { reportMarkdown } from './markdown';

export { comparisonMarkdown as compareRuns } from './markdown';
export { runRatios } from './analysis';
export { checkTargets } from './targets';

export interface WrittenReport {
  readonly json: string;
  readonly markdown: string;
  readonly charts: readonly string[];
}

/** Writes the run's JSON, Markdown and charts into `dir`; `appendix` (Markdown) ends the report. */
export function writeReport(run: BenchRun, dir: string, options: { appendix?: string } = {}): WrittenReport {
  const name = stampName(run.stamp);
  mkdirSync(join(dir, name), { recursive: true });
  const json = join(dir, `${name}.json`);
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  const charts = new Map<string, { throughput: string; latency: string }>();
  const written: string[] = [];
  for (const group of groupCells(run)) {
    const files = { throughput: `${name}/throughput-${group.key}.svg`, latency: `${name}/latency-${group.key}.svg` };
    writeFileSync(join(dir, files.throughput), throughputChart(group));
    writeFileSync(join(dir, files.latency), latencyChart(group));
    charts.set(group.key, files);
    written.push(join(dir, files.throughput), join(dir, files.latency));
  }
  const markdown = join(dir, `${name}.md`);
  writeFileSync(markdown, reportMarkdown(run, charts, options.appendix));
  writeFileSync(join(dir, 'latest.md'), `The newest run: [${name}](${name}.md)\n`);
  return { json, markdown, charts: written };
}

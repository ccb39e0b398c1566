/**
 * Renders the report (Markdown and charts) of a recorded run again, e.g. after the report's
 * format changed: `node --import tsx bench/src/render.ts bench/results/<run>.json [--compare <before>.json]`.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchRun } from './results';
import { compareRuns, writeReport } from './report';

const [file, flag, beforeFile] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node --import tsx bench/src/render.ts <run.json> [--compare <before.json>]\n');
  process.exit(2);
}
const read = (path: string): BenchRun => JSON.parse(readFileSync(path, 'utf8')) as BenchRun;
const run = read(file);
const before = flag === '--compare' && beforeFile ? read(beforeFile) : undefined;
const written = writeReport(run, dirname(file), before ? { appendix: compareRuns(before, run) } : {});
process.stdout.write(`${written.markdown}\n`);

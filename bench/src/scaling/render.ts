/**
 * Renders a recorded scaling run's report again (its .md and .svg beside the JSON), e.g. after the
 * report's wording changed: `node --import tsx bench/src/scaling/render.ts bench/results/scaling-<stamp>.json`.
 * The JSON is the record of the run and is not rewritten.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { DEFAULT_SCALING_POLICY } from '@parc/scaling';
import { writeScalingReport, type ScalingRun } from './report';

const file = process.argv[2];
if (file === undefined || !file.endsWith('.json')) {
  process.stderr.write('usage: node --import tsx bench/src/scaling/render.ts bench/results/scaling-<stamp>.json\n');
  process.exit(2);
}
const recorded = JSON.parse(readFileSync(file, 'utf8')) as ScalingRun;
// Runs recorded before the model's figures named the parallelism, latency and budget: they are the run's own setup.
const run: ScalingRun = {
  ...recorded,
  model: {
    ...recorded.model,
    minParallelism: recorded.model.minParallelism ?? DEFAULT_SCALING_POLICY.caller.minParallelism,
    latencyMs: recorded.model.latencyMs ?? recorded.setup.targetLatencyMs,
    budgetCpuMillis: recorded.model.budgetCpuMillis ?? recorded.setup.budget.cpuMillis,
  },
};
const written = writeScalingReport(run, basename(file, '.json'), dirname(file), true);
process.stdout.write(`${written.markdown}\n${written.chart}\n`);

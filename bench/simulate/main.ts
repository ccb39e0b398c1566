/**
 * `npm run simulate`: the what-if simulator. Runs workload traces through the pipeline model
 * under Parc's scheduler and the baselines, and writes simulate-<trace>.json/.md/.svg.
 *
 *   npm run simulate                                               every bundled trace
 *   npm run simulate -- --trace bench/simulate/traces/spikes.json  one trace (any file in the format)
 *   npm run simulate -- --out /tmp/sim                             elsewhere than bench/results
 *   npm run simulate -- --policy '{"scaleDownCooldownMs":10000}'   Parc's controller with overrides (SCHEDULER_POLICY's JSON)
 */
import { join } from 'node:path';
import { applyPolicyOverrides, DEFAULT_SCALING_POLICY } from '@parc/scaling';
import { fmtNum } from '../src/report/format';
import { shortfallPercent, surplusPercent } from './metrics';
import { defaultConfig } from './model';
import { checks, writeResults } from './report';
import { simulateTrace } from './run';
import { bundledTraceFiles, loadTrace } from './trace';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = process.argv[index + 1];
  if (value === undefined || value.startsWith('--')) {
    process.stderr.write(`--${name} needs a value\n`);
    process.exit(2);
  }
  return value;
}

const traceFile = option('trace');
const outDir = option('out') ?? join(__dirname, '../results');
const policyOverrides = option('policy');
let policy = DEFAULT_SCALING_POLICY;
try {
  if (policyOverrides !== undefined) policy = applyPolicyOverrides(DEFAULT_SCALING_POLICY, JSON.parse(policyOverrides) as unknown);
} catch (error) {
  process.stderr.write(`--policy is not valid: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
const config = defaultConfig(policy);

for (const file of traceFile ? [traceFile] : bundledTraceFiles()) {
  const run = simulateTrace(loadTrace(file), config);
  const written = writeResults(run, config, outDir);
  process.stdout.write(`\n${run.trace.name}: ${written.markdown}\n`);
  for (const { metrics: m } of run.runs) {
    process.stdout.write(
      `  ${m.controller.padEnd(12)} allocated ${fmtNum(m.allocatedCoreS).padStart(6)} / needed ${fmtNum(m.neededCoreS).padStart(6)} core·s` +
        `  surplus ${fmtNum(surplusPercent(m)).padStart(5)} %  shortfall ${fmtNum(shortfallPercent(m)).padStart(5)} %` +
        `  backlog ${fmtNum(m.backlogMessageS).padStart(11)} message·s  max in system ${fmtNum(m.maxTimeInSystemS).padStart(5)} s  violations ${m.budgetViolations}\n`,
    );
  }
  for (const check of checks(run)) process.stdout.write(`  ${check.holds ? 'holds        ' : 'DOES NOT HOLD'}  ${check.description}\n`);
}

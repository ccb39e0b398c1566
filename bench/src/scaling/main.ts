/**
 * `npm run bench -- --scaling`: seed 001's figure from a live run (bench/README.md, "Scaling").
 * One workload trace (a simulator trace: steady, a step, spikes, a quiet end) against a slow
 * target, through three configurations one after another — the scheduler with its local-process
 * driver, the default static stack (`--fixed`) and a static stack sized for the peak — each on
 * fresh Redis and Kafka; then the simulator on the same trace, the issue's targets, and
 * `bench/results/scaling-<UTC time>-<commit>.{json,md,svg}`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schedulerSpec } from '@parc/runtime';
import type { Resources } from '@parc/scaling';
import { bundleApps } from '@parc/testing';
import { BENCH_WEBHOOK_SECRET } from '../contract';
import { startBenchReceiver } from '../load/receiver';
import { startBenchTarget } from '../load/target';
import { runStamp } from '../stamp';
import { describeModel } from '../../simulate/report';
import { perInstanceRate } from '../../simulate/sizing';
import type { SimulationConfig } from '../../simulate/model';
import { loadTrace, peakRate, type Trace } from '../../simulate/trace';
import { runConfiguration, type LiveContext, type LiveRun } from './live';
import { scalingRunName, writeScalingReport, type ScalingRun } from './report';
import { APP_DEFAULT_CALLER_PARALLELISM, liveModel, peakSizing, requestedCpuMillis, simulateLive } from './simulated';
import { CONFIGURATION_IDS, DEFAULT_SIZING, type ConfigurationId, type StaticSizing } from './stacks';
import { summarise, type ConfigurationResult } from './summary';
import { scalingTargets, type ScalingTarget } from './targets';
import { arrivalTimesMs, loadEndS, loadEvents, scaleTrace } from './workload';

const ROOT = join(__dirname, '../../..');

export interface ScalingBenchOptions {
  /** A trace file in the simulator's format. */
  readonly trace: string;
  /** Every rate of the trace multiplied by this. */
  readonly rateScale: number;
  readonly targetLatencyMs: number;
  readonly configurations: readonly ConfigurationId[];
  readonly label: string;
}

/**
 * The defaults: the bundled live trace — 150/s, a step to 1,200/s, spikes to 1,500/s, a quiet
 * end — against a 500 ms target. The default static stack's caller holds 512 calls (its app
 * defaults), about 1,000 calls/s at 500 ms, and measured 830–940/s here: the step and the spikes
 * are beyond it, within a stack sized for the peak, and well inside the machine's CPU (Parc's
 * knee here is ~2,000/s or more with 20 ms calls).
 */
export const SCALING_DEFAULTS = {
  trace: join(__dirname, 'live-trace.json'),
  rateScale: 1,
  targetLatencyMs: 500,
  configurations: CONFIGURATION_IDS,
} as const satisfies Omit<ScalingBenchOptions, 'label'>;

const APPS = ['proxy', 'proxy-store', 'parc-incoming', 'parc-caller', 'parc-outgoing', 'responder', 'scheduler'] as const;

const counts = (sizing: StaticSizing): string =>
  `proxy ${sizing.proxy}, proxy-store ${sizing['proxy-store']}, responder ${sizing.responder}; ${sizing.parcs} Parc(s) of parc-incoming ${sizing['parc-incoming']}, parc-caller ${sizing['parc-caller']}, parc-outgoing ${sizing['parc-outgoing']}`;

/** One sentence per configuration: what runs. */
function configurationTexts(trace: Trace, model: SimulationConfig, sizings: { readonly 'static-peak': StaticSizing }, budget: Resources): Record<ConfigurationId, string> {
  const peakCpu = requestedCpuMillis(sizings['static-peak'], model);
  return {
    scheduler: `the scheduler app (SCHEDULER_DRIVER=local, default policy, tick 1 s, budget ${budget.cpuMillis} m CPU / ${budget.memoryMiB} MiB), which starts every other stage as processes from the bundles and scales them; it starts callers at ${model.policy.caller.minParallelism} calls in flight (CALLER_CONCURRENCY = parallelism ÷ CALLER_BATCH_SIZE).`,
    'static-default': `one instance of each stage, one Parc, each app with its defaults, as npm run start:stack -- --fixed starts them (a caller holds ${APP_DEFAULT_CALLER_PARALLELISM} calls: CALLER_CONCURRENCY × CALLER_BATCH_SIZE); CPU requested ${requestedCpuMillis(DEFAULT_SIZING, model)} m.`,
    'static-peak':
      `${counts(sizings['static-peak'])}: the simulator's sizing (bench/simulate/sizing.ts sizedFor) for the trace's peak of ${Math.round(peakRate(trace))}/s at the policy's ${model.policy.targetUtilisation * 100} % target utilisation, ` +
      `callers at the apps' default ${APP_DEFAULT_CALLER_PARALLELISM} calls; CPU requested ${peakCpu} m${peakCpu > budget.cpuMillis ? `, beyond the scheduler's ${budget.cpuMillis} m budget (a static installation is not held to it)` : ''}.`,
  };
}

/** The setup's notes for the report: how every configuration runs, the load, the machine. */
function setupNotes(requests: number): string[] {
  return [
    'Every configuration runs the same esbuild bundles of the apps (as an image would), with LOG_LEVEL=warn and the apps\' default tunables, on its own fresh redis-server (the proxy\'s and the Parcs\' Redis as databases 1 and 2) and Kafka 4.3.1 KRaft broker, one after another; a pre-flight of 20 requests end to end precedes each trace (not recorded).',
    `The load is open loop: ${requests} requests at evenly spread times following the trace, POSTed in batches every 5 ms (at most 8 POSTs in flight), each with its own callback; the backlog is watched for up to 120 s after the trace's end, and the scheduler's extra Parcs for up to 120 s after the load's end.`,
    'This machine has 2 cores, shared by the stack, Redis, Kafka, the bench process (load generator, target, receiver) and, during this run, other engineers\' test runs: the figures are noisy (±20 % between runs is usual here), and the configurations ran one after another, not side by side.',
  ];
}

/** The configurations one after another, with a target and a receiver shared by all, and a last-resort kill of what they started if the bench dies. */
async function runAll(options: ScalingBenchOptions, live: Omit<LiveContext, 'target' | 'receiver' | 'egressAllowList' | 'started'>, summariseRun: (run: LiveRun) => ConfigurationResult, sizings: Record<'static-default' | 'static-peak', StaticSizing>): Promise<ConfigurationResult[]> {
  const [target, receiver] = await Promise.all([startBenchTarget(), startBenchReceiver(BENCH_WEBHOOK_SECRET)]);
  const started = new Set<number>();
  // The harness adds an 'exit' listener per process it starts (a last-resort kill): a static stack sized for the peak has a few dozen.
  process.setMaxListeners(Math.max(process.getMaxListeners(), 100));
  const killStarted = (): void => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  process.once('exit', killStarted);
  const context: LiveContext = { ...live, target, receiver, egressAllowList: [target.origin, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`), started };
  const results: ConfigurationResult[] = [];
  try {
    for (const id of options.configurations) {
      const result = summariseRun(await runConfiguration(context, id, id === 'scheduler' ? undefined : sizings[id]));
      results.push(result);
      live.say(`${id}: backlog ${Math.round(result.backlogSeconds)} request·s, CPU ${result.cpuSeconds} s (+ Redis/Kafka ${result.infrastructureCpuSeconds} s), ${result.processSeconds} process·s, ${result.requests.calledBack} of ${result.requests.offered} called back`);
    }
    return results;
  } finally {
    await Promise.all([target.close(), receiver.close()]);
    process.removeListener('exit', killStarted);
  }
}

/** The issue's targets from the configurations that ran. */
function targetsOf(results: readonly ConfigurationResult[]): ScalingTarget[] {
  const byId = (id: ConfigurationId): ConfigurationResult | undefined => results.find((r) => r.id === id);
  const scheduler = byId('scheduler');
  const findings = scheduler?.scheduler;
  return scalingTargets(
    scheduler,
    byId('static-default'),
    byId('static-peak'),
    findings === undefined ? undefined : { budgetViolations: findings.budgetViolations.length, ticks: findings.ticks, extraParcs: findings.extraParcs, callerStops: findings.callerStops },
  );
}

export async function runScalingBench(options: ScalingBenchOptions, say: (line: string) => void): Promise<void> {
  const startedAt = performance.now();
  const { matrix: _matrix, ...stamp } = runStamp('quick', options.label);
  const trace = scaleTrace(loadTrace(options.trace), options.rateScale);
  const arrivalsMs = arrivalTimesMs(trace);
  const events = loadEvents(trace);
  const loadEnd = loadEndS(trace);
  const budget = { cpuMillis: schedulerSpec.schedulerCpuBudgetMillis.default ?? 2_000, memoryMiB: schedulerSpec.schedulerMemoryBudgetMiB.default ?? 4_096 };
  const model = liveModel(options.targetLatencyMs, budget);
  const sizings = { 'static-default': DEFAULT_SIZING, 'static-peak': peakSizing(trace, model) };
  const describe = configurationTexts(trace, model, sizings, budget);
  say(`scaling: ${trace.name}, ${arrivalsMs.length} requests per configuration, ${options.targetLatencyMs} ms target; configurations ${options.configurations.join(', ')}; bundling the apps`);
  const bundleDir = await bundleApps(APPS);
  let results: ConfigurationResult[];
  try {
    const live = { bundleDir, logDir: mkdtempSync(join(tmpdir(), 'parc-bench-scaling-')), trace, arrivalsMs, loadEndS: loadEnd, targetLatencyMs: options.targetLatencyMs, say };
    results = await runAll(options, live, (run) => summarise(run, events, loadEnd, options.targetLatencyMs / 1000, model.policy), sizings);
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }
  const simulated = simulateLive(trace, model, sizings);
  const targets = targetsOf(results);
  const run: ScalingRun = {
    benchmark: 'scaling',
    stamp,
    trace,
    setup: { targetLatencyMs: options.targetLatencyMs, budget, configurations: Object.fromEntries(options.configurations.map((id) => [id, describe[id]])), notes: setupNotes(arrivalsMs.length) },
    configurations: results,
    simulated: { model: describeModel(model), controllers: simulated.runs, workload: simulated.workload },
    targets,
    model: {
      responderRate: perInstanceRate('responder', model, APP_DEFAULT_CALLER_PARALLELISM),
      callerRate: perInstanceRate('parc-caller', model, APP_DEFAULT_CALLER_PARALLELISM),
      minParallelism: model.policy.caller.minParallelism,
      latencyMs: options.targetLatencyMs,
      budgetCpuMillis: budget.cpuMillis,
    },
    durationS: (performance.now() - startedAt) / 1000,
  };
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const written = writeScalingReport(run, scalingRunName(stamp), dir);
  for (const t of targets) say(`scaling: target "${t.target}": ${t.status} (${t.value}; ${t.margin})`);
  say(`scaling: report ${written.markdown}`);
}

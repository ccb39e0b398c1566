/**
 * `npm run bench`: P (Parc), A (BullMQ) and B (in-memory undici) side by side on this machine,
 * same target, same retry policy, one run. See bench/README.md.
 *
 *   npm run bench                      quick matrix (20 ms target, 0 % and 10 % failures)
 *   npm run bench -- --full            0/20/200 ms × 0/10 %
 *   npm run bench -- --systems P,B --label "after: …" --compare bench/results/<before>.json
 *   npm run bench -- --latencies 20 --failures 0 --rates 200,400 --step-ms 3000   (a smoke run)
 *   npm run bench -- --probes 0        the staircase only: no refinement of the knee (default 4 probes)
 *   npm run bench -- --systems P --rates 800 --profile /tmp/prof   (V8 CPU profiles of P's apps;
 *     summarise with `node --import tsx bench/src/profile-summary.ts /tmp/prof/P`)
 *   npm run bench -- --destinations    flow control against a hidden capacity instead (bench/src/destinations)
 *   npm run bench -- --scaling         the scheduler against static configurations under a workload trace, live (bench/src/scaling)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalKafka, startLocalRedis } from '@parc/testing';
import { BENCH_WEBHOOK_SECRET, type StartSystem, type SystemProcess } from './contract';
import type { BenchRun, CellResult } from './results';
import { startBenchReceiver } from './load/receiver';
import { startBenchTarget } from './load/target';
import { rssMb } from './load/procstat';
import { runCell, warmUp, type Matrix } from './cell';
import { runStamp } from './stamp';
import { startParcSystem } from './systems/parc';
import { startBullmqSystem } from './systems/bullmq';
import { startInMemorySystem } from './systems/inmemory';
import { DEFAULT_REFINE } from './refine';
import { compareRuns, runRatios, writeReport } from './report';
import { fmtRatio } from './report/format';
import { loadTrace } from '../simulate/trace';
import { DESTINATION_DEFAULTS as DESTINATION_BENCH_DEFAULTS, DESTINATION_VARIANT_IDS, isOverloadMode, isVariantId, OVERLOAD_MODES, runDestinationBench } from './destinations/main';
import { runScalingBench, SCALING_DEFAULTS } from './scaling/main';
import { CONFIGURATION_IDS, isConfigurationId } from './scaling/stacks';

const ROOT = join(__dirname, '../..');

const MATRICES: Record<'quick' | 'full', Matrix> = {
  quick: { latencies: [20], failureRates: [0, 0.1], rates: [250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 6000], stepMs: 8_000, maxProbes: DEFAULT_REFINE.maxProbes },
  full: { latencies: [0, 20, 200], failureRates: [0, 0.1], rates: [250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000], stepMs: 15_000, maxProbes: DEFAULT_REFINE.maxProbes },
};

const SYSTEMS: Record<'P' | 'A' | 'B', { start: StartSystem; redis: boolean; kafka: boolean }> = {
  P: { start: startParcSystem, redis: true, kafka: true },
  A: { start: startBullmqSystem, redis: true, kafka: false },
  B: { start: startInMemorySystem, redis: false, kafka: false },
};

/** The destination bench's options, named as on the command line, with the defaults destinations/main.ts owns. */
const DESTINATION_DEFAULTS = {
  capacity: DESTINATION_BENCH_DEFAULTS.capacity,
  requests: DESTINATION_BENCH_DEFAULTS.requests,
  'target-latency-ms': DESTINATION_BENCH_DEFAULTS.targetLatencyMs,
  'overload-mode': DESTINATION_BENCH_DEFAULTS.overloadMode,
  variants: DESTINATION_VARIANT_IDS.join(','),
} as const;
const DESTINATION_OPTIONS = Object.keys(DESTINATION_DEFAULTS) as (keyof typeof DESTINATION_DEFAULTS)[];
const MATRIX_OPTIONS = ['full', 'systems', 'compare', 'latencies', 'failures', 'rates', 'step-ms', 'probes', 'profile'] as const;
/** The scaling bench's options, named as on the command line (--target-latency-ms is shared with the destination bench, with another default). */
const SCALING_OPTIONS = ['trace', 'rate-scale', 'target-latency-ms', 'configurations'] as const;

const USAGE = `usage: npm run bench -- [--full] [--systems P,A,B] [--label TEXT] [--compare RUN.json]
                          [--latencies MS,…] [--failures F,…] [--rates N,…] [--step-ms MS] [--probes N] [--profile DIR]
       npm run bench -- --destinations [--capacity N] [--requests N] [--target-latency-ms MS] [--overload-mode ${OVERLOAD_MODES.join('|')}] [--variants a,b,c,d] [--label TEXT]
       npm run bench -- --scaling [--trace FILE] [--rate-scale F] [--target-latency-ms MS] [--configurations ${CONFIGURATION_IDS.join(',')}] [--label TEXT]
  --full           the full matrix: 0/20/200 ms × 0/10 % (default: the quick one, 20 ms × 0/10 %)
  --systems        which systems to run, in order (default P,A,B)
  --label TEXT     a label for the report
  --compare FILE   an earlier run's JSON: the report gets a before/after appendix
  --latencies      target latencies in ms, replacing the matrix's
  --failures       target failure rates (0.1 = 10 %), replacing the matrix's
  --rates          the staircase of offered rates per second, replacing the matrix's
  --step-ms MS     how long each rate is offered
  --probes N       bisection probes to refine each knee (default ${DEFAULT_REFINE.maxProbes}; 0: the staircase only)
  --profile DIR    V8 CPU profiles of P's apps into DIR/P
  --destinations   instead of the matrix: P's flow control against a target with a hidden capacity, four
                   variants (no limit, parallelism N/4, parallelism N, adaptive); see bench/README.md
  --capacity N            the target's hidden capacity, calls in flight (default ${DESTINATION_DEFAULTS.capacity})
  --requests N            requests per variant (default ${DESTINATION_DEFAULTS.requests})
  --target-latency-ms MS  the target's latency within its capacity (default ${DESTINATION_DEFAULTS['target-latency-ms']})
  --overload-mode MODE    beyond the capacity: shed (up to N more wait in a queue, the rest get 429 with
                          Retry-After: 1), 429 (every excess call answered at once with 429, Retry-After: 1)
                          or slow (latency grows with the excess) (default ${DESTINATION_DEFAULTS['overload-mode']})
  --variants LIST         which variants to run, for tuning one of them (default ${DESTINATION_DEFAULTS.variants};
                          the targets comparing with a variant left out are reported as unmeasured)
  --scaling        instead of the matrix: the scheduler (local-process driver) against the default static stack
                   and one sized for the peak, under a workload trace, live; seed 001's figure (see bench/README.md)
  --trace FILE            a trace in the simulator's format (default bench/src/scaling/live-trace.json: 150/s, a step
                          to 1,200/s, spikes to 1,500/s, a quiet end; about 4 min per configuration)
  --rate-scale F          every rate of the trace × F, for a machine that carries more or less (default ${SCALING_DEFAULTS.rateScale})
  --target-latency-ms MS  with --scaling: the target's answer time (default ${SCALING_DEFAULTS.targetLatencyMs})
  --configurations LIST   which configurations to run, in order (default ${SCALING_DEFAULTS.configurations.join(',')}; the
                          targets comparing with one left out are reported as unmeasured)`;

type Arguments = { [name in 'systems' | 'label' | 'compare' | 'latencies' | 'failures' | 'rates' | 'step-ms' | 'probes' | 'profile' | keyof typeof DESTINATION_DEFAULTS | (typeof SCALING_OPTIONS)[number]]?: string } & {
  full: boolean;
  destinations: boolean;
  scaling: boolean;
};

type Mode = 'matrix' | 'destinations' | 'scaling';

/** The options each mode takes besides --label; any other one given is refused. */
const MODE_OPTIONS: Readonly<Record<Mode, readonly string[]>> = {
  matrix: MATRIX_OPTIONS,
  destinations: DESTINATION_OPTIONS,
  scaling: SCALING_OPTIONS,
};

/** The command line, checked: an unknown option or a stray value stops before anything starts. */
function parseArguments(argv: readonly string[]): Arguments {
  const text = { type: 'string' } as const;
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        full: { type: 'boolean', default: false },
        systems: text,
        label: text,
        compare: text,
        latencies: text,
        failures: text,
        rates: text,
        'step-ms': text,
        probes: text,
        profile: text,
        destinations: { type: 'boolean', default: false },
        capacity: text,
        requests: text,
        'target-latency-ms': text,
        'overload-mode': text,
        variants: text,
        scaling: { type: 'boolean', default: false },
        trace: text,
        'rate-scale': text,
        configurations: text,
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  // Each mode's options are its own: one given to another mode would be ignored.
  if (values.destinations && values.scaling) {
    process.stderr.write(`--destinations and --scaling are two benches: run one at a time\n${USAGE}\n`);
    process.exit(2);
  }
  const mode: Mode = values.destinations ? 'destinations' : values.scaling ? 'scaling' : 'matrix';
  const given = (name: string): boolean => values[name as keyof typeof values] !== undefined && values[name as keyof typeof values] !== false;
  const stray = Object.entries(MODE_OPTIONS).flatMap(([other, names]) => (other === mode ? [] : names.filter((name) => given(name) && !MODE_OPTIONS[mode].includes(name))));
  if (stray.length > 0) {
    const owners = (name: string): string => (Object.entries(MODE_OPTIONS).find(([, names]) => names.includes(name))?.[0] ?? 'matrix');
    process.stderr.write(`${[...new Set(stray)].map((name) => `--${name} belongs to ${owners(name) === 'matrix' ? 'the matrix' : `--${owners(name)}`}`).join(', ')}, not ${mode === 'matrix' ? 'the matrix' : `--${mode}`}\n${USAGE}\n`);
    process.exit(2);
  }
  return values;
}

const args = parseArguments(process.argv.slice(2));

function argument(name: Exclude<keyof Arguments, 'full' | 'destinations' | 'scaling'>): string | undefined {
  return args[name];
}

/** A comma-separated list of numbers, or a usage error naming the option. */
function numbers(name: 'latencies' | 'failures' | 'rates' | 'step-ms' | 'probes'): number[] | undefined {
  const value = argument(name);
  if (value === undefined) return undefined;
  const list = value.split(',').map(Number);
  if (list.some((n) => !Number.isFinite(n) || n < 0)) {
    process.stderr.write(`--${name} must be non-negative numbers separated by commas, got ${value}\n${USAGE}\n`);
    process.exit(2);
  }
  return list;
}

const say = (line: string): boolean => process.stderr.write(`[bench] ${line}\n`);

/** A whole number option of the destination bench, at least `min`, or a usage error naming it. */
function wholeNumber(name: 'capacity' | 'requests' | 'target-latency-ms', min: number): number {
  const value = argument(name);
  if (value === undefined) return DESTINATION_DEFAULTS[name];
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number ≥ ${min}, got ${value}\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

async function destinations(): Promise<void> {
  const mode = argument('overload-mode') ?? DESTINATION_DEFAULTS['overload-mode'];
  if (!isOverloadMode(mode)) {
    process.stderr.write(`--overload-mode takes ${OVERLOAD_MODES.join(', ')}; got ${mode}\n${USAGE}\n`);
    process.exit(2);
  }
  const variants = (argument('variants') ?? DESTINATION_DEFAULTS.variants).split(',');
  if (variants.length === 0 || !variants.every(isVariantId)) {
    process.stderr.write(`--variants takes a comma-separated list of ${DESTINATION_VARIANT_IDS.join(', ')}; got ${argument('variants')}\n${USAGE}\n`);
    process.exit(2);
  }
  await runDestinationBench(
    { variants, capacity: wholeNumber('capacity', 1), requests: wholeNumber('requests', 1), targetLatencyMs: wholeNumber('target-latency-ms', 0), overloadMode: mode, label: argument('label') ?? '' },
    say,
  );
}

/** A positive number option of the scaling bench, or a usage error naming it. */
function positive(name: 'rate-scale' | 'target-latency-ms', fallback: number, whole: boolean): number {
  const value = argument(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n))) {
    process.stderr.write(`--${name} must be a ${whole ? 'whole ' : ''}number > 0, got ${value}\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

async function scaling(): Promise<void> {
  const list = (argument('configurations') ?? SCALING_DEFAULTS.configurations.join(',')).split(',');
  if (!list.every(isConfigurationId) || new Set(list).size !== list.length) {
    process.stderr.write(`--configurations takes a comma-separated list of ${CONFIGURATION_IDS.join(', ')}, each once; got ${argument('configurations')}\n${USAGE}\n`);
    process.exit(2);
  }
  const trace = argument('trace') ?? SCALING_DEFAULTS.trace;
  try {
    loadTrace(trace);
  } catch (error) {
    process.stderr.write(`--trace: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  await runScalingBench(
    { trace, rateScale: positive('rate-scale', SCALING_DEFAULTS.rateScale, false), targetLatencyMs: positive('target-latency-ms', SCALING_DEFAULTS.targetLatencyMs, true), configurations: list, label: argument('label') ?? '' },
    say,
  );
}

async function main(): Promise<void> {
  if (args.destinations) return destinations();
  if (args.scaling) return scaling();
  const matrixName = args.full ? 'full' : 'quick';
  const base = MATRICES[matrixName];
  // Overrides for a smoke run or a single cell: --latencies 20 --failures 0.1 --rates 500,1000 --step-ms 4000 --probes 2
  const matrix: Matrix = {
    latencies: numbers('latencies') ?? base.latencies,
    failureRates: numbers('failures') ?? base.failureRates,
    rates: numbers('rates') ?? base.rates,
    stepMs: numbers('step-ms')?.[0] ?? base.stepMs,
    maxProbes: numbers('probes')?.[0] ?? base.maxProbes,
  };
  const systems = (argument('systems') ?? 'P,A,B').split(',') as ('P' | 'A' | 'B')[];
  const unknown = systems.filter((key) => !(key in SYSTEMS));
  if (unknown.length > 0) {
    process.stderr.write(`--systems takes P, A and B, got ${unknown.join(', ')}\n${USAGE}\n`);
    process.exit(2);
  }
  if (systems.includes('P')) say('building the apps (npm run build) for P');
  if (systems.includes('P')) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const stamp = { ...runStamp(matrixName, argument('label') ?? ''), refinement: { tolerance: DEFAULT_REFINE.tolerance, maxProbes: matrix.maxProbes } };
  const [target, receiver] = await Promise.all([startBenchTarget(), startBenchReceiver(BENCH_WEBHOOK_SECRET)]);
  const egressAllowList = [target.origin, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`);
  const cells: CellResult[] = [];
  try {
    for (const key of systems) cells.push(...(await benchSystem(key, matrix, { target, receiver, egressAllowList })));
  } finally {
    await Promise.all([target.close(), receiver.close()]);
  }
  const run: BenchRun = { stamp, cells, ratios: runRatios({ cells }) };
  for (const r of run.ratios ?? []) {
    say(`${r.targetLatencyMs} ms ${Math.round(r.failureRate * 100)} %: P/A rate ${fmtRatio(r.rateRatio.PA)}, P/B rate ${fmtRatio(r.rateRatio.PB)}; CPU per request at ${r.cpuComparedAtRate ?? '—'}/s: P/A ${fmtRatio(r.cpuRatio.PA)}, P/B ${fmtRatio(r.cpuRatio.PB)}`);
  }
  const compareWith = argument('compare');
  const before = compareWith ? (JSON.parse(readFileSync(compareWith, 'utf8')) as BenchRun) : undefined;
  const written = writeReport(run, join(ROOT, 'bench/results'), before ? { appendix: compareRuns(before, run) } : {});
  say(`report: ${written.markdown}`);
}

async function benchSystem(
  key: 'P' | 'A' | 'B',
  matrix: Matrix,
  shared: { target: Awaited<ReturnType<typeof startBenchTarget>>; receiver: Awaited<ReturnType<typeof startBenchReceiver>>; egressAllowList: string[] },
): Promise<CellResult[]> {
  const spec = SYSTEMS[key];
  const redis = spec.redis ? await startLocalRedis() : undefined;
  const kafka = spec.kafka ? await startLocalKafka() : undefined;
  const infrastructure: SystemProcess[] = [
    ...(redis?.pid ? [{ group: 'redis' as const, name: 'redis-server', pid: redis.pid }] : []),
    ...(kafka?.pid ? [{ group: 'kafka' as const, name: 'kafka', pid: kafka.pid }] : []),
  ];
  const logDir = mkdtempSync(join(tmpdir(), `parc-bench-${key}-`));
  say(`${key}: starting (logs in ${logDir})`);
  const cpuProfileDir = argument('profile');
  const system = await spec.start({
    redisUrl: redis?.url ?? '',
    kafkaBrokers: kafka?.brokers ?? '',
    egressAllowList: shared.egressAllowList,
    logDir,
    ...(cpuProfileDir ? { cpuProfileDir: join(cpuProfileDir, key) } : {}),
  });
  try {
    // Idle means settled: V8 keeps start-up garbage (heap ~55 MB, RSS ~105 MB for the proxy) until
    // its memory reducer runs ~10 s later (heap ~22 MB, RSS ~72 MB); 15 s reads the idle process.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const idleRssMb = Object.fromEntries([...system.processes(), ...infrastructure].map((p) => [p.name, Math.round(rssMb(p.pid) ?? 0)]));
    say(`${key}: ${system.description}; idle RSS ${JSON.stringify(idleRssMb)}`);
    const cells: CellResult[] = [];
    const context = { system, infrastructure, target: shared.target, receiver: shared.receiver };
    say(`${key}: warming up (30 s at 1,000/s, not recorded)`);
    await warmUp(context, matrix.latencies[0] ?? 20);
    for (const targetLatencyMs of matrix.latencies) {
      for (const failureRate of matrix.failureRates) {
        const cell = await runCell(context, matrix, { targetLatencyMs, failureRate }, say);
        cells.push({ ...cell, idleRssMb });
      }
    }
    return cells;
  } finally {
    await system.stop();
    await Promise.all([redis?.stop(), kafka?.stop()]);
  }
}

main().catch((error: unknown) => {
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});

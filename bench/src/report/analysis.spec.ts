import type { BenchRun, CellResult, StepResult } from '../results';
import { cellRatios, commonStableRate, groupCells, isKneeCandidate, kneeBracket, kneeIssues, runRatios, systemCpuMsPer1000 } from './analysis';
import { comparisonMarkdown, reportMarkdown } from './markdown';

const percentiles = { count: 1, p50: 1, p95: 1, p99: 1, max: 1 };

function step(offeredRate: number, cpuMsPer1000: Record<string, number>, options: { stable?: boolean; void?: boolean; probe?: boolean } = {}): StepResult {
  const sent = offeredRate * 8;
  const stable = options.stable ?? true;
  return {
    offeredRate,
    ...(options.probe ? { probe: true } : {}),
    durationMs: 8_000,
    ledger: { sent, completed: sent, failed: 0, inFlight: 0, duplicates: 0, anomalies: options.void ? 3 : 0, balanced: !options.void },
    completedRate: stable ? offeredRate : Math.round(offeredRate * 0.8),
    stable,
    ...(stable ? {} : { unstableReason: 'backlog' }),
    firstAttemptMs: percentiles,
    addedToCallbackMs: percentiles,
    cpuMsPer1000,
    peakRssMb: {},
  };
}

function cell(system: CellResult['system'], steps: StepResult[], kneeRate: number, extra: Partial<CellResult> = {}): CellResult {
  const knee = steps.find((s) => s.offeredRate === kneeRate);
  return {
    system,
    systemDescription: system,
    targetLatencyMs: 20,
    failureRate: 0,
    steps,
    kneeRate,
    maxSustainableRate: knee?.completedRate ?? 0,
    idleRssMb: {},
    ...extra,
  };
}

/** The value, failing the test when there is none (instead of a non-null assertion). */
function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

const stamp: BenchRun['stamp'] = {
  startedAt: '2026-12-05T10:00:00.000Z',
  gitCommit: 'abcdef0123456789',
  gitDirty: false,
  machine: { cpus: 2, cpuModel: 'test', memoryGiB: 4, os: 'Linux' },
  versions: {},
  matrix: 'quick',
  label: '',
};

// P: knee 2,000 (stair), refined to 2,130 by probes; A: knee 4,000; B: knee 5,000.
const P = cell(
  'P',
  [
    step(1000, { services: 1200, redis: 150, kafka: 300, driver: 200 }),
    step(2000, { services: 700, redis: 80, kafka: 90, driver: 120 }),
    step(2500, { services: 600, redis: 80, kafka: 70, driver: 110 }, { stable: false }),
    step(2250, { services: 650, redis: 80, kafka: 80, driver: 110 }, { void: true, stable: false, probe: true }),
    step(2130, { services: 660, redis: 80, kafka: 85, driver: 115 }, { probe: true }),
  ],
  2130,
  {
    refinement: { from: { stable: 2000, unstable: 2500 }, to: { stable: 2130, unstable: 2250 }, relativeGap: 120 / 2130, probes: 2, stoppedBecause: 'resolved' },
    atHalfKnee: step(1065, { services: 1100, redis: 140, kafka: 280, driver: 190 }),
  },
);
const A = cell('A', [step(1000, { services: 700, redis: 300, driver: 150 }), step(2000, { services: 500, redis: 170, driver: 100 }), step(4000, { services: 300, redis: 90, driver: 90 }), step(5000, {}, { stable: false })], 4000);
const B = cell('B', [step(1000, { services: 280, driver: 150 }), step(2000, { services: 200, driver: 100 }), step(5000, { services: 160, driver: 100 }), step(6000, {}, { stable: false })], 5000);
const run: BenchRun = { stamp, cells: [P, A, B] };

describe('CPU per request of a system', () => {
  it('adds every group but the driver: services, Redis and the Kafka JVM', () => {
    expect(systemCpuMsPer1000(step(1000, { services: 1200, redis: 150, kafka: 300, driver: 200 }))).toBe(1650);
    expect(systemCpuMsPer1000(step(1000, { services: 280, driver: 150 }))).toBe(280);
  });

  it('is unknown for a step that finished nothing or measured no process', () => {
    const empty = step(1000, { services: 0, driver: 0 });
    expect(systemCpuMsPer1000({ ...empty, ledger: { ...empty.ledger, completed: 0, inFlight: empty.ledger.sent } })).toBeUndefined();
    expect(systemCpuMsPer1000(step(1000, { driver: 100 }))).toBeUndefined();
  });
});

describe('P against A and B', () => {
  const group = defined(groupCells(run)[0]);

  it('compares CPU at the highest rate every system ran stable and not VOID', () => {
    expect(commonStableRate(group)).toBe(2000);
  });

  it('gives the rate ratios and the CPU ratios (how many times the other system\'s CPU per request P spends)', () => {
    const ratios = cellRatios(group);
    expect(ratios.maxSustainableRate).toEqual({ P: 2130, A: 4000, B: 5000 });
    expect(ratios.rateRatio.PA).toBeCloseTo(2130 / 4000);
    expect(ratios.rateRatio.PB).toBeCloseTo(2130 / 5000);
    expect(ratios.cpuComparedAtRate).toBe(2000);
    expect(ratios.cpuMsPer1000).toEqual({ P: 870, A: 670, B: 200 });
    expect(ratios.cpuRatio.PA).toBeCloseTo(870 / 670);
    expect(ratios.cpuRatio.PB).toBeCloseTo(870 / 200);
  });

  it('never compares at a VOID or unstable step, and says so when no rate was stable for every system', () => {
    const lonely = cell('A', [step(2250, { services: 300, redis: 100 }), step(2500, { services: 300, redis: 100 })], 2500);
    const g = defined(groupCells({ cells: [P, lonely] })[0]);
    expect(commonStableRate(g)).toBeUndefined();
    const ratios = cellRatios(g);
    expect(ratios.cpuComparedAtRate).toBeUndefined();
    expect(ratios.cpuRatio).toEqual({});
    expect(ratios.rateRatio.PA).toBeCloseTo(2130 / 2500);
  });

  it('leaves out a ratio whose other system is missing or reached no knee', () => {
    const stuck = cell('A', [step(1000, {}, { stable: false })], 0);
    const g = defined(groupCells({ cells: [P, stuck] })[0]);
    expect(cellRatios(g).rateRatio).toEqual({});
    expect(cellRatios(defined(groupCells({ cells: [P] })[0]))).toMatchObject({ rateRatio: {}, cpuRatio: {}, cpuComparedAtRate: 2130, cpuMsPer1000: { P: 825 } });
  });

  it('has one entry per cell, in report order', () => {
    const other = { ...P, failureRate: 0.1 };
    expect(runRatios({ cells: [other, P, A] }).map((r) => [r.failureRate, Object.keys(r.maxSustainableRate)])).toEqual([
      [0, ['P', 'A']],
      [0.1, ['P']],
    ]);
  });
});

describe('the knee and its refinement', () => {
  it('counts a VOID probe as not a knee candidate', () => {
    expect(isKneeCandidate(defined(P.steps[3]))).toBe(false);
    expect(isKneeCandidate(defined(P.steps[4]))).toBe(true);
  });

  it('brackets the knee by the lowest failed rate above it, probes included', () => {
    expect(kneeBracket(P)).toEqual({ knee: 2130, unstable: 2250, relativeGap: 120 / 2130 });
    expect(kneeBracket(cell('B', [step(1000, {}), step(2000, {})], 2000))).toEqual({ knee: 2000 });
  });

  it('agrees with a consistent refinement record and flags one that disagrees', () => {
    expect(kneeIssues(P)).toEqual([]);
    expect(kneeIssues({ ...P, refinement: { ...defined(P.refinement), probes: 3 } })).toEqual(['the refinement records 3 probe(s), the steps 2']);
    const { refinement: _ignored, ...unrecorded } = P;
    expect(kneeIssues(unrecorded)).toEqual(['2 refinement probe(s) recorded without a refinement record']);
  });
});

describe('the report of a run recorded before refinement and ratios', () => {
  // The shape of bench/results/20261124-204903-95959a3.json: no probes, no refinement, no ratios.
  const old: BenchRun = { stamp, cells: [cell('P', [step(1000, { services: 1200, redis: 150, kafka: 300 }), step(1500, {}, { stable: false })], 1000), A] };

  it('renders the summary with ratios computed from the cells', () => {
    const markdown = reportMarkdown(old, new Map());
    expect(markdown).toContain('recorded before the knee was refined between steps');
    expect(markdown).toContain('| 20 ms target, 0 % failures | 1,000 (knee 1,000; 1,500 unstable, 50 % apart) | 4,000 (knee 4,000; 5,000 unstable, 25 % apart) | — | 0.25 | — | 1,000/s | 1,650 | 1,000 | — | 1.65 | — |');
  });

  it('compares before and after, old against new', () => {
    const markdown = comparisonMarkdown(old, run);
    expect(markdown).toContain('| 20 ms target, 0 % failures | P | 1,000 → 2,130 (+113 %) |');
    expect(markdown).toContain('| 20 ms target, 0 % failures | 0.25 → 0.53 | — → 0.43 | 1.65 at 1,000/s → 1.30 at 2,000/s | — → 4.35 at 2,000/s |');
  });

  it('marks the probes in the ledger', () => {
    const markdown = reportMarkdown({ ...run, stamp: { ...stamp, refinement: { tolerance: 0.1, maxProbes: 4 } } }, new Map());
    expect(markdown).toContain('| 20 ms target, 0 % failures | P | *probe* | 2,250 |');
    expect(markdown).toContain('until they are at most 10 % apart (at most 4 probes per cell');
    expect(markdown).toContain('2,130 (knee 2,130; 2,250 unstable) |');
  });
});

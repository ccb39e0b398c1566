import { capacityRate, destinationTargets, settling, trailingOkRate, variantsFor, type Settling, type VariantResult } from './analysis';
import { perSecond, type TargetSample } from './target';

/** 100 ms samples, one per entry of `ok` (2xx in that sample); everything else quiet unless given. */
function samples(ok: readonly number[], extra: Partial<TargetSample> = {}): TargetSample[] {
  return ok.map((n, i) => ({ tMs: (i + 1) * 100, durationMs: 100, meanInFlight: 0, maxInFlight: 0, meanQueued: 0, maxQueued: 0, calls: n, ok: n, meanLatencyMs: n > 0 ? 100 : 0, tooMany: 0, aborted: 0, ...extra }));
}
const repeat = (value: number, count: number): number[] => new Array<number>(count).fill(value);

// N = 20 at 100 ms: C = 200/s, 20 2xx per 100 ms sample; 90 % of C = 180/s.
const N = 20;
const LATENCY = 100;

describe('the variants', () => {
  it('are no limit, N/2 (too low), N and adaptive with a ceiling of 4N', () => {
    expect(variantsFor(20).map((v) => v.limits)).toEqual([{}, { parallelism: 10 }, { parallelism: 20 }, { adaptive: true, parallelism: 80 }]);
    expect(variantsFor(1)[1]?.limits).toEqual({ parallelism: 1 });
  });

  it('judge throughput against C = N / latency, unbounded for a latency of 0', () => {
    expect(capacityRate(20, 100)).toBe(200);
    expect(capacityRate(40, 20)).toBe(2000);
    expect(capacityRate(20, 0)).toBeUndefined();
  });
});

describe('the 1-second trailing 2xx rate', () => {
  it('counts the time before the first submission as a second of nothing', () => {
    const rate = trailingOkRate(samples(repeat(20, 15)));
    expect(rate[0]).toBeCloseTo(20);
    expect(rate[4]).toBeCloseTo(100);
    expect(rate[9]).toBeCloseTo(200);
    expect(rate[14]).toBeCloseTo(200);
  });

  it('is a rate over the time the window covers when samples are longer or shorter than 100 ms', () => {
    const durations = [50, 150, 100, 200, 100, 100, 150, 150, 120, 80, 200, 60, 140, 100, 100, 150, 90, 110];
    const uneven = durations.reduce<TargetSample[]>((list, durationMs) => {
      const tMs = (list[list.length - 1]?.tMs ?? 0) + durationMs;
      return [...list, { ...(samples([0])[0] as TargetSample), tMs, durationMs, ok: durationMs / 5 }];
    }, []);
    const rate = trailingOkRate(uneven);
    // 2xx at 200/s throughout: 170/s at 0.85 s (nothing before the start), 200/s from 1 s on.
    expect(rate[6]).toBeCloseTo(170);
    for (const r of rate.slice(7)) expect(r).toBeCloseTo(200);
  });
});

describe('settling, judged on throughput', () => {
  it('settles when the ramp first brings the 1-second rate to 90 % of C and it stays', () => {
    // 3 s at 100/s, then 20 s at C: the 1-s window holds ≥ 180 2xx from its 8th sample at C on.
    const result = settling(samples([...repeat(10, 30), ...repeat(20, 200)]), N, LATENCY);
    expect(result.capacityRate).toBe(200);
    expect(result.firstReachedMs).toBe(3_800);
    // Not 1–2 s later, as a 3-s window reaching back into the ramp would make it.
    expect(result.settledMs).toBe(3_800);
    expect(result.okRate).toBeGreaterThan(180);
    expect(result.shareAtRate).toBeGreaterThan(0.8);
  });

  it('forgives an isolated dip that the 3-second mean absorbs', () => {
    // A 200 ms gap at 10 s: the 1-s rate falls to 160/s for a while, its 3-s mean to about 187/s.
    const ok = [...repeat(20, 100), 0, 0, ...repeat(20, 150)];
    const result = settling(samples(ok), N, LATENCY);
    expect(Math.min(...trailingOkRate(samples(ok)))).toBeLessThan(180);
    // Nine samples of 20 make 180 2xx in the first second: reached and settled at 0.9 s.
    expect(result.settledMs).toBe(900);
    expect(result.firstReachedMs).toBe(900);
  });

  it('settles only after a sustained fall below 90 % of C', () => {
    // At C from the start, 3 s at 100/s from 5 s, then C again.
    const result = settling(samples([...repeat(20, 50), ...repeat(10, 30), ...repeat(20, 200)]), N, LATENCY);
    expect(result.firstReachedMs).toBe(900);
    expect(result.settledMs).toBeGreaterThanOrEqual(8_000);
    expect(result.settledMs).toBeLessThanOrEqual(9_000);
  });

  it('leaves the batch tail out: the steady window ends when 95 % of the 2xx were given', () => {
    // 20 s at C, then a 1 s drain: 4,000 + 50 2xx; 95 % is reached at 19.2 s, before the drain.
    const result = settling(samples([...repeat(20, 200), ...repeat(5, 10)]), N, LATENCY);
    expect(result.steadyEndMs).toBe(19_300);
    expect(result.settledMs).toBe(900);
  });

  it('never settles a variant held below 90 % of C (parallelism N/2 gives C/2)', () => {
    const result = settling(samples(repeat(10, 400), { meanInFlight: 10, maxInFlight: 10 }), N, LATENCY);
    expect(result.firstReachedMs).toBeUndefined();
    expect(result.settledMs).toBeUndefined();
    expect(result.shareAtRate).toBe(0);
    expect(result.okRate).toBe(100);
    expect(result.meanInFlight).toBe(10);
    expect(result.shareAtCapacity).toBe(0);
  });

  it('keeps the in-flight and queued view of the steady window', () => {
    const result = settling(samples(repeat(20, 100), { meanInFlight: 19, maxInFlight: 20, meanQueued: 6.5, maxQueued: 20 }), N, LATENCY);
    expect(result.meanInFlight).toBe(19);
    expect(result.meanQueued).toBe(6.5);
    expect(result.shareAtCapacity).toBe(1);
  });

  it('judges nothing on throughput when the target has no latency', () => {
    const result = settling(samples(repeat(20, 100)), N, 0);
    expect(result.capacityRate).toBeUndefined();
    expect(result.firstReachedMs).toBeUndefined();
    expect(result.settledMs).toBeUndefined();
  });
});

describe('the targets for adaptive (d)', () => {
  const base = (id: VariantResult['id'], settled: Partial<Settling>, extra: Partial<VariantResult> = {}): VariantResult => ({
    id,
    title: id,
    key: id,
    flowControl: {},
    requests: 20_000,
    submitMs: 4_000,
    refused: 0,
    complete: true,
    finishMs: 105_000,
    callbacks: 20_000,
    succeeded: 20_000,
    failed: 0,
    duplicates: 0,
    anomalies: 0,
    attempts: 20_100,
    attemptsPerRequest: 1.01,
    target: { calls: 20_100, ok: 20_000, tooMany: 100, aborted: 0, maxInFlight: 20, maxQueued: 20, meanLatencyMs: 140 },
    overloadShare: 100 / 20_100,
    settling: { capacityRate: 200, steadyEndMs: 100_000, okRate: 195, shareAtRate: 0.95, shareAtCapacity: 0.9, meanInFlight: 19, meanQueued: 5, ...settled },
    gate: { breakerOpenings: 0, retryAfterShare: 0, maxWaiting: 0, polls: 400 },
    ...extra,
  });
  const others = [base('a', {}, { attempts: 60_000, finishMs: 300_000 }), base('b', {}, { finishMs: 200_000 }), base('c', { settledMs: 1_500 }, { finishMs: 101_000 })];

  it('are met when the 2xx rate settles within 10 s', () => {
    const targets = destinationTargets([...others, base('d', { settledMs: 6_000, firstReachedMs: 4_000 })]);
    expect(targets[0]).toMatchObject({ status: 'met', value: '6.0 s', margin: '4.0 s to spare' });
    expect(targets.map((t) => t.status)).toEqual(['met', 'met', 'met', 'met', 'met']);
  });

  it('are missed when it settles late, or never, saying where it stood', () => {
    expect(destinationTargets([...others, base('d', { settledMs: 12_000 })])[0]).toMatchObject({ status: 'missed', margin: '2.0 s late' });
    const never = destinationTargets([...others, base('d', { okRate: 150, shareAtRate: 0.2 })])[0];
    expect(never).toMatchObject({ status: 'missed', value: 'never' });
    expect(never?.margin).toContain('never stayed ≥ 180 2xx/s');
    expect(never?.margin).toContain('150 2xx/s');
  });

  it('are unmeasured without a capacity C', () => {
    const { capacityRate: _c, ...unbounded } = base('d', {}).settling;
    expect(destinationTargets([...others, { ...base('d', {}), settling: unbounded }])[0]?.status).toBe('unmeasured');
  });
});

describe('per second at the target', () => {
  it('sums counts, keeps maxima, and weights means by time (latency by 2xx)', () => {
    const folded = perSecond([
      ...samples(repeat(20, 10), { meanInFlight: 20, maxInFlight: 20, meanQueued: 10, maxQueued: 15 }),
      ...samples([10, 0]).map((s, i) => ({ ...s, tMs: 1_100 + i * 100, meanLatencyMs: s.ok > 0 ? 200 : 0, maxQueued: 20, meanQueued: 20 })),
    ]);
    expect(folded).toHaveLength(2);
    expect(folded[0]).toMatchObject({ second: 0, ok: 200, meanInFlight: 20, meanQueued: 10, maxQueued: 15, meanLatencyMs: 100 });
    expect(folded[1]).toMatchObject({ second: 1, ok: 10, meanQueued: 4, maxQueued: 20, meanLatencyMs: 200 });
  });
});

import { backlogSeconds, backlogSeries, catchUpTimes, cumulativeAt, perSecond, stepIntegral, type RequestTimes } from './analysis';
import type { LoadEvent } from './workload';

const NaN_ = Number.NaN;

/** Requests as [accepted, called back] pairs (offered = accepted). */
const requests = (pairs: readonly (readonly [number, number])[]): RequestTimes => ({
  offeredS: pairs.map(([accepted]) => accepted),
  acceptedS: pairs.map(([accepted]) => accepted),
  calledBackS: pairs.map(([, calledBack]) => calledBack),
});

describe('perSecond', () => {
  it('counts times in each whole second and leaves out what is outside or not a time', () => {
    expect(perSecond([0, 0.5, 1, 2.99, 3, -1, NaN_], 3)).toEqual([2, 1, 1]);
  });
});

describe('backlogSeconds: accepted and not yet called back, integrated', () => {
  it.each([
    { name: 'each request from its 202 to its callback', pairs: [[0, 1], [0.5, 2]] as const, endS: 10, expected: 1 + 1.5 },
    { name: 'a request not called back counts until the end', pairs: [[1, NaN_]] as const, endS: 4, expected: 3 },
    { name: 'a callback after the end counts until the end', pairs: [[1, 9]] as const, endS: 4, expected: 3 },
    { name: 'a request accepted after the end does not count', pairs: [[5, 6]] as const, endS: 4, expected: 0 },
    { name: 'a refused request (never accepted) does not count', pairs: [[NaN_, NaN_]] as const, endS: 4, expected: 0 },
    { name: 'a callback before its 202 reached the client counts from the callback: nothing', pairs: [[2, 1.9]] as const, endS: 4, expected: 0 },
  ])('$name', ({ pairs, endS, expected }) => {
    expect(backlogSeconds(requests(pairs), endS)).toBeCloseTo(expected, 9);
  });

  it('equals the integral of the backlog series sampled finely', () => {
    const times = requests([[0.1, 0.7], [0.2, 3.3], [1.5, 2.5], [2.05, NaN_]]);
    const step = 0.001;
    const series = backlogSeries(times, 4, step);
    const integral = series.slice(0, -1).reduce((sum, level) => sum + level * step, 0);
    expect(integral).toBeCloseTo(backlogSeconds(times, 4), 1);
  });
});

describe('backlogSeries', () => {
  it('counts a request from the sample at or after its 202 to the sample before its callback', () => {
    // Accepted at 0.5 (in from sample 1), called back at 2 (out at sample 2); accepted at 1 (in at 1), never called back.
    expect(backlogSeries(requests([[0.5, 2], [1, NaN_]]), 4)).toEqual([0, 2, 1, 1, 1]);
  });
});

describe('catchUpTimes: from the end of a step or spike until the backlog is back to its level before it', () => {
  const step: LoadEvent = { kind: 'step', startS: 10, endS: 20, peakRate: 100 };
  const options = { lookbackS: 5, relative: 1, absolute: 0 };
  /** 10 before, 50 during, then falling by 10 a second. */
  const backlog = [...Array<number>(10).fill(10), ...Array<number>(10).fill(50), 40, 30, 20, 10, 10, 10, 10];

  it('is the time after the event ends at which the backlog is at or below its earlier level', () => {
    const [result] = catchUpTimes(backlog, [step], options);
    expect(result).toMatchObject({ preLevel: 10, threshold: 10, peakBacklog: 50, caughtUpAfterS: 3 });
  });

  it('allows the tolerance: 1.25 × the level + 10 by default', () => {
    const [result] = catchUpTimes(backlog, [step]);
    // threshold 10 × 1.25 + 10 = 22.5: 20 at 22 s, 2 s after the end.
    expect(result).toMatchObject({ threshold: 22.5, caughtUpAfterS: 2 });
  });

  it('says the next event came first when the backlog is not back before it begins', () => {
    const spike: LoadEvent = { kind: 'spike', startS: 22, endS: 24, peakRate: 200 };
    const [first, second] = catchUpTimes(backlog, [step, spike], options);
    expect(first).toMatchObject({ notCaughtUp: 'next-event', horizonS: 2 });
    expect(first?.caughtUpAfterS).toBeUndefined();
    expect(second?.caughtUpAfterS).toBe(0);
  });

  it('says the run ended when it never comes back', () => {
    const [result] = catchUpTimes([...Array<number>(10).fill(10), ...Array<number>(15).fill(50)], [step], options);
    expect(result).toMatchObject({ notCaughtUp: 'end-of-run', horizonS: 4 });
  });
});

describe('stepIntegral and cumulativeAt', () => {
  it('integrates a step function up to the end', () => {
    expect(stepIntegral([[0, 2], [3, 5], [4, 1]], 6)).toBe(2 * 3 + 5 * 1 + 1 * 2);
    expect(stepIntegral([[0, 2], [3, 5]], 2)).toBe(4);
  });

  it('reads a cumulative counter between samples linearly, and holds it beyond them', () => {
    const samples = [[0, 0], [2, 100], [4, 300]] as const;
    expect(cumulativeAt(samples, 1)).toBe(50);
    expect(cumulativeAt(samples, 3)).toBe(200);
    expect(cumulativeAt(samples, 9)).toBe(300);
    expect(cumulativeAt(samples, -1)).toBe(0);
  });
});

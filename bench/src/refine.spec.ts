import { bracketAfter, DEFAULT_REFINE, nextProbe, refineKnee, relativeGap, staircaseBracket, type ProbeOutcome } from './refine';

const stable = (rate: number): ProbeOutcome => ({ rate, stable: true });
const unstable = (rate: number): ProbeOutcome => ({ rate, stable: false });

describe('the staircase bracket', () => {
  it('is the last stable rate and the first failed one', () => {
    expect(staircaseBracket([stable(500), stable(1000), stable(2000), unstable(2500)])).toEqual({ stable: 2000, unstable: 2500 });
  });

  it('takes the highest stable rate below the failure, whatever order the rates were given in', () => {
    expect(staircaseBracket([stable(1000), stable(500), unstable(4000)])).toEqual({ stable: 1000, unstable: 4000 });
  });

  it('does not exist when nothing failed (the knee is a lower bound) or the first step failed', () => {
    expect(staircaseBracket([stable(500), stable(1000)])).toBeUndefined();
    expect(staircaseBracket([unstable(500)])).toBeUndefined();
    expect(staircaseBracket([])).toBeUndefined();
  });
});

describe('the next probe', () => {
  it('bisects the staircase bracket first', () => {
    expect(nextProbe({ stable: 2000, unstable: 2500 }, [])).toEqual({ action: 'probe', rate: 2250, bracket: { stable: 2000, unstable: 2500 } });
  });

  it('moves the stable bound up after a stable probe and the unstable bound down after an unstable (or VOID) one', () => {
    // 2,500 / 2,250 is 11.1 % apart: one more probe, at the midpoint rounded to 10/s.
    expect(nextProbe({ stable: 2000, unstable: 2500 }, [stable(2250)])).toEqual({ action: 'probe', rate: 2380, bracket: { stable: 2250, unstable: 2500 } });
    expect(nextProbe({ stable: 2000, unstable: 2500 }, [stable(2250), stable(2380)])).toMatchObject({ action: 'stop', reason: 'resolved', bracket: { stable: 2380, unstable: 2500 } });
    const afterUnstable = nextProbe({ stable: 2000, unstable: 2500 }, [unstable(2250)]);
    // 2,250 / 2,000 is 12.5 % apart: one more probe.
    expect(afterUnstable).toEqual({ action: 'probe', rate: 2130, bracket: { stable: 2000, unstable: 2250 } });
  });

  it('stops once the bounds are at most 10 % apart, 10 % exactly included', () => {
    expect(nextProbe({ stable: 1000, unstable: 1100 }, [])).toMatchObject({ action: 'stop', reason: 'resolved' });
    expect(nextProbe({ stable: 1000, unstable: 1101 }, [])).toMatchObject({ action: 'probe', rate: 1050 });
  });

  it('stops after the probe budget, reporting the bracket it reached', () => {
    const options = { ...DEFAULT_REFINE, maxProbes: 2 };
    expect(nextProbe({ stable: 250, unstable: 1000 }, [unstable(630), unstable(440)], options)).toEqual({
      action: 'stop',
      reason: 'probe budget spent',
      bracket: { stable: 250, unstable: 440 },
    });
  });

  it('stops at once when the budget is not a number (a mistyped --probes)', () => {
    expect(nextProbe({ stable: 1000, unstable: 2000 }, [], { ...DEFAULT_REFINE, maxProbes: Number.NaN })).toMatchObject({ action: 'stop', reason: 'probe budget spent' });
  });

  it('stops when no rounded rate lies strictly between the bounds', () => {
    expect(nextProbe({ stable: 10, unstable: 20 }, [], { ...DEFAULT_REFINE, granularity: 10 })).toMatchObject({ action: 'stop', reason: 'no rate left between the bounds' });
  });

  it('refuses a bracket that is not one, and a probe outside the current bounds', () => {
    expect(() => nextProbe({ stable: 0, unstable: 500 }, [])).toThrow(RangeError);
    expect(() => nextProbe({ stable: 500, unstable: 500 }, [])).toThrow(RangeError);
    expect(() => bracketAfter({ stable: 2000, unstable: 2500 }, [unstable(2250), stable(2400)])).toThrow(/outside the bracket 2000–2250/);
  });

  it('reaches 10 % within 4 probes from any staircase gap up to 160 %', () => {
    for (const [low, high] of [
      [250, 500],
      [2000, 2500],
      [3000, 4000],
      [6000, 8000],
      [1000, 2600],
    ] as const) {
      for (const knee of [low + 1, (low + high) / 2, high - 1]) {
        const history: ProbeOutcome[] = [];
        let decision = nextProbe({ stable: low, unstable: high }, history);
        while (decision.action === 'probe') {
          history.push({ rate: decision.rate, stable: decision.rate <= knee });
          decision = nextProbe({ stable: low, unstable: high }, history);
        }
        expect(history.length).toBeLessThanOrEqual(DEFAULT_REFINE.maxProbes);
        expect(decision.reason).toBe('resolved');
        expect(relativeGap(decision.bracket)).toBeLessThanOrEqual(0.1 + 1e-9);
        expect(decision.bracket.stable).toBeLessThanOrEqual(knee);
        expect(decision.bracket.unstable).toBeGreaterThan(knee);
      }
    }
  });
});

describe('refining with a probe callback', () => {
  it('runs the probes nextProbe asks for, in order, and returns the final bracket', async () => {
    const asked: number[] = [];
    const result = await refineKnee({ stable: 2000, unstable: 2500 }, async (rate) => {
      asked.push(rate);
      return rate <= 2200;
    });
    expect(asked).toEqual([2250, 2130]);
    expect(result).toEqual({
      from: { stable: 2000, unstable: 2500 },
      to: { stable: 2130, unstable: 2250 },
      probes: [unstable(2250), stable(2130)],
      stoppedBecause: 'resolved',
    });
  });

  it('runs nothing when the staircase already pins the knee within 10 %, or the budget is 0', async () => {
    const probe = jest.fn(async () => true);
    expect((await refineKnee({ stable: 1000, unstable: 1050 }, probe)).stoppedBecause).toBe('resolved');
    expect((await refineKnee({ stable: 1000, unstable: 2000 }, probe, { ...DEFAULT_REFINE, maxProbes: 0 })).stoppedBecause).toBe('probe budget spent');
    expect(probe).not.toHaveBeenCalled();
  });
});

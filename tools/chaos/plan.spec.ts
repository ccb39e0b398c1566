import { KILLED_APPS, planFaults, seededRandom } from './plan';

const OPTIONS = { seed: 7, windowMs: 100_000, killsPerStage: 2, brokerDownMs: 15_000, redisRestarts: true, pausedMs: 60_000, callers: 2 };

describe('planFaults', () => {
  it('kills every data-path stage twice (the proxy once), takes the broker and both Redis servers down, and freezes the last caller', () => {
    const faults = planFaults(OPTIONS);
    const kills = faults.filter((f) => f.kind === 'kill');
    for (const app of KILLED_APPS) expect(kills.filter((f) => f.app === app)).toHaveLength(app === 'proxy' ? 1 : 2);
    expect(faults.filter((f) => f.kind === 'broker')).toEqual([expect.objectContaining({ downMs: 15_000 })]);
    expect(faults.filter((f) => f.kind === 'redis').map((f) => f.which).sort()).toEqual(['parc-redis', 'proxy-redis']);
    expect(faults.filter((f) => f.kind === 'pause')).toEqual([expect.objectContaining({ app: 'parc-caller', instance: 1, pausedMs: 60_000 })]);
    // The frozen caller is never the one killed.
    expect(kills.filter((f) => f.app === 'parc-caller').every((f) => f.instance === 0)).toBe(true);
  });

  it('spreads the faults over 5–85 % of the window, in time order, the same for the same seed', () => {
    const faults = planFaults(OPTIONS);
    expect(faults.every((f) => f.atMs >= 5_000 && f.atMs <= 85_000)).toBe(true);
    expect(faults.map((f) => f.atMs)).toEqual([...faults.map((f) => f.atMs)].sort((a, b) => a - b));
    expect(planFaults(OPTIONS)).toEqual(faults);
    expect(planFaults({ ...OPTIONS, seed: 8 })).not.toEqual(faults);
  });

  it('leaves out what is switched off, and a zombie with no second caller to take its work', () => {
    const faults = planFaults({ ...OPTIONS, killsPerStage: 1, brokerDownMs: 0, redisRestarts: false, callers: 1 });
    expect(faults.map((f) => f.kind)).toEqual(KILLED_APPS.map(() => 'kill'));
  });
});

describe('seededRandom', () => {
  it('draws in [0, 1), repeatably', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const draws = Array.from({ length: 1_000 }, () => a());
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from({ length: 1_000 }, () => b())).toEqual(draws);
  });
});

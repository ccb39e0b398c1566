import { parseTrace } from '../../simulate/trace';
import { arrivalTimesMs, loadEndS, loadEvents, scaleTrace } from './workload';

const trace = (points: [number, number][]) => parseTrace({ name: 't', description: 'test', points }, 'test');

describe('arrivalTimesMs', () => {
  it('spreads a constant rate evenly', () => {
    const times = arrivalTimesMs(trace([[0, 4], [1, 4]]));
    expect(times).toHaveLength(4);
    [125, 375, 625, 875].forEach((expected, i) => expect(times[i]).toBeCloseTo(expected, 6));
  });

  it('places several requests in one millisecond above 1,000/s', () => {
    const times = arrivalTimesMs(trace([[0, 4000], [0.01, 4000]]));
    expect(times).toHaveLength(40);
    expect(times[0]).toBeCloseTo(0.125, 6);
    expect(times[1]).toBeCloseTo(0.375, 6);
  });

  it('follows the line: as many requests as the area under it, none where it is zero', () => {
    const times = arrivalTimesMs(trace([[0, 100], [2, 100], [2, 0], [3, 0], [3, 1000], [4, 1000]]));
    expect(times).toHaveLength(200 + 1000);
    expect(times.filter((t) => t >= 2000 && t < 3000)).toHaveLength(0);
    expect(times.filter((t) => t >= 3000)).toHaveLength(1000);
  });
});

describe('loadEvents', () => {
  it('finds every rise above the base rate, steps (≥ 30 s) and spikes, with their peaks', () => {
    const events = loadEvents(trace([[0, 10], [5, 10], [5, 100], [45, 100], [45, 10], [50, 10], [50, 200], [55, 200], [55, 10], [60, 10], [60, 0], [70, 0]]));
    expect(events).toEqual([
      { kind: 'step', startS: 5, endS: 45, peakRate: 100 },
      { kind: 'spike', startS: 50, endS: 55, peakRate: 200 },
    ]);
  });

  it('closes an event that lasts to the end of the trace', () => {
    expect(loadEvents(trace([[0, 10], [5, 10], [5, 50], [8, 50]]))).toEqual([{ kind: 'spike', startS: 5, endS: 8, peakRate: 50 }]);
  });
});

describe('loadEndS', () => {
  it.each([
    { name: 'a jump to zero', points: [[0, 10], [5, 10], [5, 0], [9, 0]] as [number, number][], expected: 5 },
    { name: 'a ramp to zero', points: [[0, 10], [5, 10], [7, 0], [9, 0]] as [number, number][], expected: 7 },
    { name: 'no quiet end', points: [[0, 10], [5, 10]] as [number, number][], expected: 5 },
    { name: 'no load at all', points: [[0, 0], [5, 0]] as [number, number][], expected: 0 },
  ])('$name', ({ points, expected }) => {
    expect(loadEndS(trace(points))).toBe(expected);
  });
});

describe('scaleTrace', () => {
  it('multiplies every rate and keeps the times', () => {
    expect(scaleTrace(trace([[0, 10], [5, 20]]), 1.5).points).toEqual([[0, 15], [5, 30]]);
  });
});

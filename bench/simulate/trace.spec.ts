import { durationS, meanRate, parseTrace, peakRate, rateAt, type Trace } from './trace';

const step: Trace = { name: 'step', description: '', points: [[0, 100], [10, 100], [10, 1_000], [20, 1_000], [20, 100], [40, 100]] };
const ramp: Trace = { name: 'ramp', description: '', points: [[0, 0], [10, 1_000]] };

describe('traces', () => {
  it('interpolate between points, and jump where two points share a time', () => {
    expect(rateAt(ramp, 2.5)).toBe(250);
    expect(rateAt(step, 9.99)).toBe(100);
    expect(rateAt(step, 10)).toBe(1_000);
    expect(rateAt(step, 19.99)).toBe(1_000);
    expect(rateAt(step, 20)).toBe(100);
    expect(rateAt(step, 40)).toBe(100);
  });

  it('have a duration, a peak and a time-average', () => {
    expect(durationS(step)).toBe(40);
    expect(peakRate(step)).toBe(1_000);
    expect(meanRate(step)).toBe((100 * 30 + 1_000 * 10) / 40);
    expect(meanRate(ramp)).toBe(500);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', [], /a trace is an object/],
    ['a bad name', { name: 'Spikes!', description: '', points: [[0, 1], [1, 1]] }, /"name" must be lower-case/],
    ['one point', { name: 'x', description: '', points: [[0, 1]] }, /at least two/],
    ['a negative rate', { name: 'x', description: '', points: [[0, 1], [1, -1]] }, /points\[1\]: a rate cannot be negative/],
    ['a late start', { name: 'x', description: '', points: [[5, 1], [6, 1]] }, /first point must be at t = 0/],
    ['time going back', { name: 'x', description: '', points: [[0, 1], [5, 1], [4, 1]] }, /points\[2\]: times must not decrease/],
    ['no duration', { name: 'x', description: '', points: [[0, 1], [0, 2]] }, /longer than 0 s/],
  ])('refuse %s, saying where', (_case, json, message) => {
    expect(() => parseTrace(json, 'test.json')).toThrow(message);
  });
});

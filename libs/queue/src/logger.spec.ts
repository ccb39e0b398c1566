import { RepeatFilter } from './logger';

describe('RepeatFilter', () => {
  it('lets a line through once per window, and says how many repeats it held back', () => {
    let now = 0;
    const filter = new RepeatFilter(1_000, () => now);
    expect(filter.admit('Connection error: connect ECONNREFUSED 127.0.0.1:9092')).toEqual({ log: true, held: 0 });
    now = 200;
    expect(filter.admit('Connection error: connect ECONNREFUSED 127.0.0.1:9092')).toEqual({ log: false, held: 1 });
    expect(filter.admit('Restarting the consumer in 300ms')).toEqual({ log: true, held: 0 });
    // Lines that differ only in numbers are the same line.
    expect(filter.admit('Restarting the consumer in 1200ms')).toEqual({ log: false, held: 1 });
    now = 1_300;
    expect(filter.admit('Connection error: connect ECONNREFUSED 127.0.0.1:9092')).toEqual({ log: true, held: 1 });
    expect(filter.admit('Connection error: connect ECONNREFUSED 127.0.0.1:9092')).toEqual({ log: false, held: 1 });
  });
});

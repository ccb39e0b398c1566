import { DEFAULT_RESTART_BACKOFF, restartDelayMs } from './local-processes';

describe('restartDelayMs', () => {
  it.each([
    { crashesInARow: 1, expected: 1_000 },
    { crashesInARow: 2, expected: 2_000 },
    { crashesInARow: 4, expected: 8_000 },
    { crashesInARow: 7, expected: 60_000 },
    { crashesInARow: 50, expected: 60_000 },
  ])('waits $expected ms after crash $crashesInARow in a row', ({ crashesInARow, expected }) => {
    expect(restartDelayMs(crashesInARow, DEFAULT_RESTART_BACKOFF)).toBe(expected);
  });
});

import { parseRetryAfter } from './retry-after';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0); // Wed, 15 Jan 2025 12:00:00 GMT

describe('parseRetryAfter', () => {
  it.each([
    { name: 'delta-seconds', header: '120', expected: 120_000 },
    { name: 'zero seconds', header: '0', expected: 0 },
    { name: 'surrounding whitespace', header: '  7 ', expected: 7_000 },
    { name: 'IMF-fixdate in the future', header: 'Wed, 15 Jan 2025 12:00:30 GMT', expected: 30_000 },
    { name: 'IMF-fixdate in the past', header: 'Tue, 14 Jan 2025 12:00:00 GMT', expected: 0 },
    { name: 'RFC 850 date', header: 'Wednesday, 15-Jan-25 12:01:00 GMT', expected: 60_000 },
    { name: 'asctime date (UTC, space-padded day)', header: 'Wed Jan 15 12:00:05 2025', expected: 5_000 },
    { name: 'leap second', header: 'Wed, 15 Jan 2025 12:00:60 GMT', expected: 60_000 },
    { name: 'missing header', header: undefined, expected: undefined },
    { name: 'empty header', header: '', expected: undefined },
    { name: 'negative seconds', header: '-5', expected: undefined },
    { name: 'fractional seconds', header: '1.5', expected: undefined },
    { name: 'garbage', header: 'soon', expected: undefined },
    { name: 'ISO timestamp (not an HTTP-date)', header: '2025-01-15T12:00:30Z', expected: undefined },
    { name: 'non-GMT zone', header: 'Wed, 15 Jan 2025 12:00:30 PST', expected: undefined },
    { name: 'day that does not exist', header: 'Fri, 31 Feb 2025 12:00:00 GMT', expected: undefined },
    { name: 'hour out of range', header: 'Wed, 15 Jan 2025 24:00:00 GMT', expected: undefined },
  ])('$name: $header → $expected', ({ header, expected }) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });

  it('reads two-digit RFC 850 years more than 50 years ahead as the previous century', () => {
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Sunday, 16-Jan-25 12:00:00 GMT', NOW)).toBe(86_400_000);
  });

  it('does not overflow on absurd delta-seconds (the policy bounds them)', () => {
    expect(parseRetryAfter('9'.repeat(40), NOW)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

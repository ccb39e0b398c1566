import { DROPPED_HEADERS_HEADER, firstValue, recordHeaders } from './headers';

describe('recordHeaders', () => {
  it('keeps everything that fits, repeated headers as arrays', () => {
    expect(recordHeaders({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }, 1024)).toEqual({
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    });
  });

  it('drops values past the byte budget, keeps later ones that fit, and says how many were dropped', () => {
    const headers = { a: 'x'.repeat(10), big: 'y'.repeat(100), 'set-cookie': ['c=1', 'd'.repeat(50)], z: '1' };
    // budget 20: a (1 + 10) fits, big does not, set-cookie c=1 (10 + 3) does not either, z (2) fits.
    expect(recordHeaders(headers, 20)).toEqual({ a: 'x'.repeat(10), z: '1', [DROPPED_HEADERS_HEADER]: '3' });
  });

  it('stores headers named like Object.prototype members as plain properties', () => {
    const headers = JSON.parse('{"__proto__":"x","constructor":"y","tostring":"z"}') as Record<string, string>;
    const recorded = recordHeaders(headers, 1024);
    expect(Object.getPrototypeOf(recorded)).toBe(Object.prototype);
    expect(JSON.stringify(recorded)).toBe('{"__proto__":"x","constructor":"y","tostring":"z"}');
  });

  it('reads the first of repeated values', () => {
    expect(firstValue({ 'x-multi': ['5', '7'] }, 'x-multi')).toBe('5');
    expect(firstValue({}, 'retry-after')).toBeUndefined();
  });
});

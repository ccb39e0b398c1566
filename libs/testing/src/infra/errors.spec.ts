import { describeError, joinClauses } from './errors';

describe('joinClauses', () => {
  it('joins clauses into one sentence and drops their own full stops', () => {
    expect(joinClauses([])).toBe('no source was allowed');
    expect(joinClauses(['a.'])).toBe('a');
    expect(joinClauses(['a', 'b'])).toBe('a and b');
    expect(joinClauses(['a', 'b.', 'c.'])).toBe('a, b, and c');
  });
});

describe('describeError', () => {
  it('prefixes the errno code when the message lacks it', () => {
    const error = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
    expect(describeError(error)).toBe('ECONNREFUSED: connect failed');
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED 1:2'), { code: 'ECONNREFUSED' }))).toBe(
      'connect ECONNREFUSED 1:2',
    );
    expect(describeError('plain')).toBe('plain');
  });
});

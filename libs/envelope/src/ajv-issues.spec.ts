import { Type } from '@sinclair/typebox';
import { ajvErrorsToIssues, createAjv, formatPath } from './ajv-issues';

describe('ajvErrorsToIssues', () => {
  const validate = createAjv().compile(
    Type.Object(
      {
        requests: Type.Array(
          Type.Object({ url: Type.String({ minLength: 1 }), tags: Type.Record(Type.String(), Type.Integer()) }, { additionalProperties: false }),
          { maxItems: 2 },
        ),
      },
      { additionalProperties: false },
    ),
  );

  function issuesFor(data: unknown, prefix?: string) {
    expect(validate(data)).toBe(false);
    return ajvErrorsToIssues(validate.errors, { data, prefix });
  }

  it('names array items with [index] and object keys with dots, even numeric ones', () => {
    expect(issuesFor({ requests: [{ url: 'x', tags: {} }, { url: '', tags: { 7: 'seven' } }] })).toEqual([
      { path: 'requests[1].url', message: 'must not be empty' },
      { path: 'requests[1].tags.7', message: 'must be an integer' },
    ]);
  });

  it('prefixes paths, for callers validating one item of a larger body', () => {
    const item = { url: 'x', tags: {}, extra: 1 };
    const itemValidate = createAjv().compile(
      Type.Object({ url: Type.String(), tags: Type.Record(Type.String(), Type.Integer()) }, { additionalProperties: false }),
    );
    expect(itemValidate(item)).toBe(false);
    expect(ajvErrorsToIssues(itemValidate.errors, { prefix: 'requests[3]', data: item })).toEqual([
      { path: 'requests[3].extra', message: 'is not a known field (unknown fields are rejected); expected one of: url, tags' },
    ]);
  });

  it('reports missing fields, counts and non-coerced types with readable messages', () => {
    expect(issuesFor({ requests: [{ tags: {} }, { url: 'x', tags: {} }, { url: 'y', tags: {} }] })).toEqual([
      { path: 'requests', message: 'must have at most 2 items' },
      { path: 'requests[0].url', message: 'is required' },
    ]);
    expect(issuesFor({ requests: '[]' })).toEqual([{ path: 'requests', message: 'must be an array' }]);
  });

  it.each([
    { name: 'a value outside the set', value: 'TRACE', message: 'must be one of: GET, POST' },
    { name: 'an allowed value in another case', value: 'post', message: 'must be one of: GET, POST (case-sensitive: POST, not post)' },
    { name: 'a value of another type', value: 7, message: 'must be one of: GET, POST' },
  ])('lists the allowed values of an enum for $name', ({ value, message }) => {
    const enumValidate = createAjv().compile({ type: 'object', properties: { method: { enum: ['GET', 'POST'] } } });
    expect(enumValidate({ method: value })).toBe(false);
    expect(ajvErrorsToIssues(enumValidate.errors, { data: { method: value } })).toEqual([{ path: 'method', message }]);
  });

  it('returns nothing for no errors', () => {
    expect(ajvErrorsToIssues(null)).toEqual([]);
  });
});

describe('formatPath', () => {
  it.each([
    { prefix: '', segments: [], data: undefined, expected: '(root)' },
    { prefix: 'requests[3]', segments: [], data: undefined, expected: 'requests[3]' },
    { prefix: '', segments: ['attempts', '0', 'status'], data: undefined, expected: 'attempts[0].status' },
    { prefix: '', segments: ['headers', '0'], data: { headers: { 0: 'x' } }, expected: 'headers.0' },
    { prefix: 'body', segments: ['a/b'], data: undefined, expected: 'body.a/b' },
  ])('$expected', ({ prefix, segments, data, expected }) => {
    expect(formatPath(prefix, segments, data)).toBe(expected);
  });
});

import { parseScript, parseStep, ScriptError, stepFor, type Script } from './script';

const parse = (query: string, target = `/x?${query}`): Script => parseScript(new URLSearchParams(query), target);
const defaults = { latencyMs: 0, bodyDelayMs: 0 };

describe('parseScript without seq', () => {
  it('defaults to a plain 200 keyed by the request target', () => {
    expect(parse('', '/x')).toEqual({
      steps: [{ action: { kind: 'respond', status: 200 }, latencyMs: 0, bodyDelayMs: 0 }],
      sequenced: false,
      key: '/x',
    });
  });

  it('reads status, latency, Retry-After (seconds or HTTP-date), body size and body delay', () => {
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
    expect(parse(`status=429&latencyMs=50&retryAfter=${encodeURIComponent(date)}&bodyBytes=10&bodyDelayMs=5&key=k`)).toEqual({
      steps: [{ action: { kind: 'respond', status: 429, retryAfter: date }, latencyMs: 50, bodyBytes: 10, bodyDelayMs: 5 }],
      sequenced: false,
      key: 'k',
    });
  });

  it('reads reset and hang', () => {
    expect(parse('reset=1').steps[0]?.action).toEqual({ kind: 'reset' });
    expect(parse('hang=true').steps[0]?.action).toEqual({ kind: 'hang' });
    expect(parse('hang=0').steps[0]?.action).toEqual({ kind: 'respond', status: 200 });
  });

  it.each([
    ['status=abc', 'status=abc is not a non-negative integer'],
    ['status=99', 'status=99 is outside 200..599'],
    ['status=600', 'status=600 is outside 200..599'],
    ['latencyMs=-1', 'latencyMs=-1 is not a non-negative integer'],
    ['bodyBytes=999999999999', 'bodyBytes=999999999999 is outside'],
    ['reset=yes', 'reset=yes must be 1 or 0'],
    ['reset=1&hang=1', 'reset=1 and hang=1 exclude each other'],
    ['statsu=500', 'unknown parameter "statsu"'],
    ['seq=500&status=200', 'seq cannot be combined with status, reset or hang'],
    ['seq=', 'seq step "" is not'],
    ['seq=500,,200', 'seq step "" is not'],
    ['seq=5xx', 'seq step "5xx" is not'],
    ['seq=500~', 'seq step "500~" is not'],
    ['seq=hang~3', 'seq step "hang~3" is not'],
  ])('rejects %s', (query, message) => {
    expect(() => parse(query)).toThrow(ScriptError);
    expect(() => parse(query)).toThrow(message);
  });
});

describe('seq', () => {
  it('parses each step form', () => {
    expect(parseStep('503', defaults)).toEqual({ ...defaults, action: { kind: 'respond', status: 503 } });
    expect(parseStep('429~2', defaults)).toEqual({ ...defaults, action: { kind: 'respond', status: 429, retryAfter: '2' } });
    expect(parseStep('200@150', defaults)).toEqual({ ...defaults, latencyMs: 150, action: { kind: 'respond', status: 200 } });
    expect(parseStep('503~1@20', defaults)).toEqual({ ...defaults, latencyMs: 20, action: { kind: 'respond', status: 503, retryAfter: '1' } });
    expect(parseStep('reset@30', defaults)).toEqual({ ...defaults, latencyMs: 30, action: { kind: 'reset' } });
    expect(parseStep('hang', defaults)).toEqual({ ...defaults, action: { kind: 'hang' } });
  });

  it('applies the top-level latency, body and Retry-After to steps that do not set their own', () => {
    const script = parse('seq=500,503~9@5,200&latencyMs=40&retryAfter=3&bodyBytes=7&key=a');
    expect(script.sequenced).toBe(true);
    expect(script.key).toBe('a');
    expect(script.steps).toEqual([
      { action: { kind: 'respond', status: 500, retryAfter: '3' }, latencyMs: 40, bodyBytes: 7, bodyDelayMs: 0 },
      { action: { kind: 'respond', status: 503, retryAfter: '9' }, latencyMs: 5, bodyBytes: 7, bodyDelayMs: 0 },
      { action: { kind: 'respond', status: 200, retryAfter: '3' }, latencyMs: 40, bodyBytes: 7, bodyDelayMs: 0 },
    ]);
  });

  it('serves the n-th step to the n-th call and repeats the last one', () => {
    const script = parse('seq=500,reset,200&key=a');
    const served = [1, 2, 3, 4, 5].map((attempt) => stepFor(script, attempt));
    expect(served.map((s) => s.index)).toEqual([0, 1, 2, 2, 2]);
    expect(served.map((s) => s.step.action.kind)).toEqual(['respond', 'reset', 'respond', 'respond', 'respond']);
  });
});

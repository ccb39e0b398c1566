import { isParcError } from '@parc/errors';
import fc from 'fast-check';
import { appendAttempt } from './attempts';
import { createEnvelope } from './create';
import { NOW_MS, validEnvelope } from './envelope.fixture';
import { parseEnvelope, serializeEnvelope } from './serialize';
import { validateEnvelope } from './validate';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('serializeEnvelope / parseEnvelope', () => {
  it('round-trips a valid envelope unchanged', () => {
    const envelope = validEnvelope();
    expect(parseEnvelope(serializeEnvelope(envelope))).toEqual(envelope);
  });

  it('does not re-validate: a trusted stage passes on what an earlier stage accepted', () => {
    const oversized = { ...validEnvelope(), request: { ...validEnvelope().request, timeoutMs: 10_000_000 } };
    expect(parseEnvelope(JSON.stringify(oversized)).request.timeoutMs).toBe(10_000_000);
  });

  it.each([
    { name: 'not JSON', text: '{"v":1,', code: 'ENVELOPE_MALFORMED', message: 'envelope is not valid JSON (7 characters)' },
    { name: 'an array', text: '[1]', code: 'ENVELOPE_MALFORMED', message: 'envelope must be a JSON object, got an array' },
    { name: 'null', text: 'null', code: 'ENVELOPE_MALFORMED', message: 'envelope must be a JSON object, got null' },
    { name: 'a string', text: '"hi"', code: 'ENVELOPE_MALFORMED', message: 'envelope must be a JSON object, got string' },
    { name: 'no version', text: '{"id":"x"}', code: 'ENVELOPE_MALFORMED', message: 'envelope has no version field "v"; it was not written by Parc' },
    { name: 'a newer version', text: '{"v":2}', code: 'ENVELOPE_VERSION_UNSUPPORTED', message: 'envelope version 2 is not supported; this build reads versions 1' },
    { name: 'a string version', text: '{"v":"1"}', code: 'ENVELOPE_VERSION_UNSUPPORTED', message: 'envelope version "1" is not supported; this build reads versions 1' },
  ] as const)('refuses $name with $code', ({ text, code, message }) => {
    const error = thrownBy(() => parseEnvelope(text));
    expect(isParcError(error, code)).toBe(true);
    expect(error).toMatchObject({ message });
  });

  it('keeps the JSON.parse error as the cause', () => {
    expect(thrownBy(() => parseEnvelope('nope'))).toMatchObject({ cause: expect.any(SyntaxError) });
  });
});

const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((name) => !['te', 'host', 'upgrade'].includes(name.toLowerCase()));
const inputArb = fc.record({
  method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'),
  path: fc.webPath(),
  headers: fc.uniqueArray(fc.tuple(headerName, fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).filter((v) => /^[\x20-\x7e]*$/.test(v))), {
    maxLength: 5,
    selector: ([name]) => name.toLowerCase(),
  }),
  body: fc.uint8Array({ maxLength: 200 }),
  metadata: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  delayMs: fc.nat(86_400_000),
  status: fc.integer({ min: 100, max: 599 }),
  response: fc.uint8Array({ maxLength: 100 }),
});

describe('round-trip property', () => {
  it('any created envelope, with an attempt appended, survives serialise → parse and stays valid', () => {
    fc.assert(
      fc.property(inputArb, (generated) => {
        const created = createEnvelope(
          {
            request: {
              method: generated.method,
              url: `https://api.example.com${generated.path}`,
              headers: Object.fromEntries(generated.headers),
              bodyBase64: Buffer.from(generated.body).toString('base64'),
            },
            metadata: JSON.parse(JSON.stringify(generated.metadata)),
            delayMs: generated.delayMs,
          },
          { nowMs: NOW_MS },
        );
        const envelope = appendAttempt(created, {
          startedAt: new Date(NOW_MS + 1).toISOString(),
          durationMs: 3,
          status: generated.status,
          bodyBase64: Buffer.from(generated.response).toString('base64'),
        });
        const parsed = parseEnvelope(serializeEnvelope(envelope));
        expect(parsed).toEqual(envelope);
        expect(validateEnvelope(parsed)).toEqual({ ok: true, envelope: parsed });
      }),
      { numRuns: 200 },
    );
  });
});

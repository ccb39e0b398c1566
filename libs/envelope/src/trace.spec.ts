import { createEnvelope } from './create';
import { NOW_MS, envelopeWith, validEnvelope } from './envelope.fixture';
import { parseEnvelope, serializeEnvelope } from './serialize';
import type { Envelope } from './schema';
import { validateEnvelope } from './validate';

const TRACE_ID = validEnvelope().traceId;
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

const issuesOf = (value: unknown) => {
  const result = validateEnvelope(value);
  return result.ok ? [] : result.issues;
};

describe('the trace context field', () => {
  it('is optional, and an envelope carrying it round-trips through the wire form unchanged', () => {
    const traced: Envelope = { ...validEnvelope(), trace: { traceparent: TRACEPARENT, tracestate: 'rojo=00f067aa0ba902b7' } };
    expect(issuesOf(validEnvelope())).toEqual([]);
    expect(issuesOf(traced)).toEqual([]);
    const parsed = parseEnvelope(serializeEnvelope(traced));
    expect(parsed).toEqual(traced);
    expect(parsed.trace).toEqual({ traceparent: TRACEPARENT, tracestate: 'rojo=00f067aa0ba902b7' });
  });

  it.each([
    { name: 'another trace id than the envelope’s', trace: { traceparent: `00-${'1'.repeat(32)}-00f067aa0ba902b7-01` }, path: 'trace.traceparent', message: `must carry the envelope's traceId (${TRACE_ID})` },
    { name: 'a malformed traceparent', trace: { traceparent: `01-${TRACE_ID}-00f067aa0ba902b7-01` }, path: 'trace.traceparent', message: 'must be a W3C traceparent such as 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    { name: 'an all-zero parent id', trace: { traceparent: `00-${TRACE_ID}-0000000000000000-01` }, path: 'trace.traceparent', message: 'must be a W3C traceparent such as 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    { name: 'a tracestate over 512 characters', trace: { traceparent: TRACEPARENT, tracestate: 'x'.repeat(513) }, path: 'trace.tracestate', message: expect.stringContaining('512') },
    { name: 'no traceparent', trace: { tracestate: 'a=1' }, path: 'trace.traceparent', message: 'is required' },
  ])('refuses $name', ({ trace, path, message }) => {
    expect(issuesOf(envelopeWith((e) => (e.trace = trace)))).toEqual([{ path, message }]);
  });

  it('is written by createEnvelope, and the request keeps propagateTrace only when switched off', () => {
    const trace = { traceparent: TRACEPARENT };
    const off = createEnvelope({ request: { method: 'GET', url: 'https://api.example.com/a', propagateTrace: false }, traceId: TRACE_ID, trace }, { nowMs: NOW_MS });
    expect(off.trace).toEqual(trace);
    expect(off.request.propagateTrace).toBe(false);
    const on = createEnvelope({ request: { method: 'GET', url: 'https://api.example.com/a', propagateTrace: true } }, { nowMs: NOW_MS });
    expect(on.trace).toBeUndefined();
    expect(on.request).not.toHaveProperty('propagateTrace');
    expect(parseEnvelope(serializeEnvelope(off))).toEqual(off);
  });
});

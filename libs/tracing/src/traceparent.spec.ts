import { TRACEPARENT_PATTERN, TRACE_ID_PATTERN } from '@parc/envelope';
import { TraceIds } from './ids';
import { cleanTracestate, formatTraceparent, parseTraceparent, traceContextOf } from './traceparent';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it.each([
    { name: 'sampled', header: `00-${TRACE_ID}-${SPAN_ID}-01`, flags: 1 },
    { name: 'not sampled', header: `00-${TRACE_ID}-${SPAN_ID}-00`, flags: 0 },
    { name: 'other flag bits kept', header: `00-${TRACE_ID}-${SPAN_ID}-03`, flags: 3 },
    { name: 'surrounding white space', header: ` 00-${TRACE_ID}-${SPAN_ID}-01\t`, flags: 1 },
  ])('reads a valid header ($name)', ({ header, flags }) => {
    expect(parseTraceparent(header)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, flags });
  });

  it.each([
    { name: 'absent', header: undefined },
    { name: 'empty', header: '' },
    { name: 'garbage', header: 'garbage' },
    { name: 'version 01', header: `01-${TRACE_ID}-${SPAN_ID}-01` },
    { name: 'version ff', header: `ff-${TRACE_ID}-${SPAN_ID}-01` },
    { name: 'upper case', header: `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01` },
    { name: 'all-zero trace id', header: `00-${'0'.repeat(32)}-${SPAN_ID}-01` },
    { name: 'all-zero span id', header: `00-${TRACE_ID}-${'0'.repeat(16)}-01` },
    { name: 'short trace id', header: `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01` },
    { name: 'one flag digit', header: `00-${TRACE_ID}-${SPAN_ID}-1` },
    { name: 'an extra field', header: `00-${TRACE_ID}-${SPAN_ID}-01-extra` },
    { name: 'non-hex', header: `00-${TRACE_ID.slice(0, 31)}g-${SPAN_ID}-01` },
  ])('treats an invalid header as absent ($name)', ({ header }) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('round-trips through formatTraceparent, matching the envelope pattern', () => {
    const header = formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 });
    expect(header).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    expect(header).toMatch(new RegExp(TRACEPARENT_PATTERN));
    expect(parseTraceparent(header)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 });
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 0xab })).toBe(`00-${TRACE_ID}-${SPAN_ID}-ab`);
  });

  it('agrees with the envelope pattern on every case above', () => {
    const pattern = new RegExp(TRACEPARENT_PATTERN);
    for (const header of [`00-${TRACE_ID}-${SPAN_ID}-01`, `00-${'0'.repeat(32)}-${SPAN_ID}-01`, `00-${TRACE_ID}-${'0'.repeat(16)}-01`, `01-${TRACE_ID}-${SPAN_ID}-01`]) {
      expect({ header, valid: pattern.test(header) }).toEqual({ header, valid: parseTraceparent(header) !== undefined });
    }
  });
});

describe('cleanTracestate and traceContextOf', () => {
  it('keeps a printable tracestate of at most 512 characters, trimmed', () => {
    expect(cleanTracestate(' rojo=00f067aa0ba902b7,congo=t61rcWkgMzE ')).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    expect(cleanTracestate(undefined)).toBeUndefined();
    expect(cleanTracestate('   ')).toBeUndefined();
    expect(cleanTracestate('a=1\nb=2')).toBeUndefined();
    expect(cleanTracestate(`a=${'x'.repeat(511)}`)).toBeUndefined();
  });

  it('builds the envelope field, tracestate only when there is one', () => {
    const ids = { traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 };
    expect(traceContextOf(ids)).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` });
    expect(traceContextOf(ids, 'a=1')).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'a=1' });
  });
});

describe('TraceIds', () => {
  it('draws distinct, valid trace and span ids across pool refills', () => {
    const ids = new TraceIds();
    const traceIds = Array.from({ length: 1000 }, () => ids.traceId());
    const spanIds = Array.from({ length: 1000 }, () => ids.spanId());
    expect(new Set(traceIds).size).toBe(1000);
    expect(new Set(spanIds).size).toBe(1000);
    expect(traceIds.every((id) => new RegExp(TRACE_ID_PATTERN).test(id))).toBe(true);
    expect(spanIds.every((id) => /^(?!0{16})[0-9a-f]{16}$/.test(id))).toBe(true);
  });
});

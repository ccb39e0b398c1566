import { MAX_TRACESTATE_LENGTH, type TraceContext } from '@parc/envelope';

/** The parts of a W3C `traceparent` header. */
export interface Traceparent {
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string;
  /** The parent span's id: 16 lowercase hex characters, not all zero. */
  readonly spanId: string;
  /** The trace flags byte (bit 0: sampled). */
  readonly flags: number;
}

/** The sampled bit of the trace flags. */
export const SAMPLED_FLAG = 0x01;

// Version 00 only, lower case only, exactly 55 characters (W3C Trace Context, level 1). The
// all-zero ids are the invalid ones; version ff is forbidden and other versions are unknown here.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;
// tracestate is a list of key=value members: printable ASCII, no other control characters.
const TRACESTATE = /^[\x20-\x7e]*$/;

/**
 * Parses a `traceparent` header strictly: version 00, a trace id and a parent id that are not all
 * zero, two hex digits of flags, surrounding white space allowed. Anything else (another version,
 * upper case, extra fields) is `undefined`: the header is then treated as absent, as W3C asks.
 */
export function parseTraceparent(header: string | undefined): Traceparent | undefined {
  if (header === undefined) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** The `traceparent` header of a span: version 00. */
export function formatTraceparent({ traceId, spanId, flags }: Traceparent): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * A `tracestate` worth passing on: trimmed, printable ASCII, at most 512 characters; else
 * `undefined` (W3C lets a participant drop a tracestate it cannot keep whole).
 */
export function cleanTracestate(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (value === undefined || value === '' || value.length > MAX_TRACESTATE_LENGTH || !TRACESTATE.test(value)) return undefined;
  return value;
}

/** A trace context (envelope field, message field) for a span's ids, with an optional tracestate. */
export function traceContextOf(parent: Traceparent, tracestate?: string): TraceContext {
  const traceparent = formatTraceparent(parent);
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

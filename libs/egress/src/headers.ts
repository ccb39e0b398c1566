import type { IncomingHttpHeaders } from 'node:http';
import type { ResponseHeaders } from '@parc/envelope';

/**
 * Added to the recorded headers when some did not fit the byte budget; its value is the number
 * of header values dropped. The attempt schema has no field for this, and silently incomplete
 * headers would mislead whoever reads the result.
 */
export const DROPPED_HEADERS_HEADER = 'x-parc-headers-dropped';

function append(recorded: ResponseHeaders, name: string, value: string): void {
  // Own properties only: `constructor` or `__proto__` must not pick up Object.prototype's.
  const existing = Object.hasOwn(recorded, name) ? recorded[name] : undefined;
  const next = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  // Defined, not assigned: assigning `__proto__` would replace the prototype.
  Object.defineProperty(recorded, name, { value: next, enumerable: true, writable: true, configurable: true });
}

/**
 * The headers to record: lower-case names (as undici gives them), repeated headers as arrays,
 * and at most `maxBytes` of names plus values in total. Values are kept in arrival order while
 * they fit; one that does not fit is dropped (a later, smaller one may still be kept), and
 * {@link DROPPED_HEADERS_HEADER} says how many were dropped.
 */
export function recordHeaders(headers: IncomingHttpHeaders, maxBytes: number): ResponseHeaders {
  const recorded: ResponseHeaders = {};
  let used = 0;
  let dropped = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      // undici decodes header bytes as latin1: one character is one byte on the wire.
      const size = name.length + one.length;
      if (used + size > maxBytes) {
        dropped++;
        continue;
      }
      used += size;
      append(recorded, name, one);
    }
  }
  if (dropped > 0) recorded[DROPPED_HEADERS_HEADER] = String(dropped);
  return recorded;
}

/** The first value of a header (repeated headers come as arrays). */
export function firstValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

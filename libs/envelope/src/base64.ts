import type { FieldIssue } from '@parc/errors';

/**
 * RFC 4648 §4 alphabet with up to two `=` at the end. A grouped pattern such as
 * `(?:[A-Za-z0-9+/]{4})*` would say more but costs ~300 ms on a 1 MiB body; this one ~2 ms.
 * Length and padding are checked by {@link isWellFormed}, canonical bits by a re-encode.
 */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;

function isWellFormed(value: string): boolean {
  return value.length % 4 === 0 && BASE64_CHARS.test(value);
}

/** Decoded byte count of well-formed base64, computed without decoding. */
export function base64DecodedBytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/**
 * Problems with a base64 field: not canonical (Buffer.from would silently skip junk, so a
 * re-encode must give back the same text), or decoding to more than `maxBytes`.
 */
export function base64Issues(value: unknown, path: string, maxBytes: number, limitName: string): FieldIssue[] {
  if (typeof value !== 'string') return [];
  const canonicalMessage = 'must be canonical base64 (RFC 4648 alphabet with = padding, no whitespace or line breaks)';
  if (!isWellFormed(value)) return [{ path, message: canonicalMessage }];
  const bytes = base64DecodedBytes(value);
  if (bytes > maxBytes) {
    return [{ path, message: `must decode to at most ${maxBytes} bytes (limit ${limitName}), got ${bytes}` }];
  }
  // Non-zero bits in the last character's unused part decode fine but do not round-trip.
  if (Buffer.from(value, 'base64').toString('base64') !== value) return [{ path, message: canonicalMessage }];
  return [];
}

/** A response body as recorded in an attempt: at most `limit` bytes, base64. */
export interface RecordedBody {
  readonly bodyBase64: string;
  /** True when bytes beyond `limit` were dropped. */
  readonly bodyTruncated: boolean;
}

/** Encodes the first `limit` bytes of a response body for an attempt record. */
export function recordBody(bytes: Uint8Array, limit: number): RecordedBody {
  const kept = Math.max(0, Math.min(bytes.byteLength, Math.floor(limit)));
  return {
    bodyBase64: Buffer.from(bytes.buffer, bytes.byteOffset, kept).toString('base64'),
    bodyTruncated: kept < bytes.byteLength,
  };
}

import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const monotonic = monotonicFactory();

/**
 * A new ULID. Ids made in one process are strictly increasing even within one millisecond or
 * when `nowMs` goes backwards (the factory then increments the previous id's random part), so
 * they sort in creation order. Pass `nowMs` from an injected clock; the default is Date.now().
 */
export function newUlid(nowMs: number = Date.now()): string {
  return monotonic(nowMs);
}

/** A W3C trace-context trace-id: 16 random bytes as 32 lowercase hex characters, never all zero. */
export function newTraceId(): string {
  for (;;) {
    const id = randomBytes(16).toString('hex');
    // All zeros is the invalid trace-id; with 2^-128 odds this loop runs once.
    if (!/^0+$/.test(id)) return id;
  }
}

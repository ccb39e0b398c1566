import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

// Random bytes drawn from one pool refilled 4 KiB at a time: ulid's default PRNG makes one
// crypto.getRandomValues call per character (16 per id), which profiled at ~6 % of the proxy's CPU.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function takeRandom(bytes: number): Buffer {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const taken = pool.subarray(poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return taken;
}

// ulid maps prng() to one of 32 characters with floor(prng() * 32): byte / 256 keeps that uniform.
const monotonic = monotonicFactory(() => (takeRandom(1)[0] as number) / 256);

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
    const id = takeRandom(16).toString('hex');
    // All zeros is the invalid trace-id; with 2^-128 odds this loop runs once.
    if (!/^0+$/.test(id)) return id;
  }
}

import { createEnvelope, type Envelope, type EnvelopeInput } from '@parc/envelope';
import type { RetryPolicy } from '@parc/backoff';
import { EgressPolicy, HttpCaller } from '@parc/egress';
import type { Delivery, QueueBackend } from '@parc/queue';
// Specs run the stages on the memory adapter, as the embedded mode does. The Nx rule forbids a
// type:stage lib from depending on an adapter lib even in spec files; this fixture is the one
// place the pipeline's specs take it from.
import { MemoryBackend } from '@parc/memory';

export { MemoryBackend };

/** A memory backend with short leases (quick redelivery) and short idle waits (quick close). */
export function memoryBackend(options: { leaseMs?: number; now?: () => number } = {}): MemoryBackend {
  return new MemoryBackend({ leaseMs: options.leaseMs ?? 1_000, maxWaitMs: 50, ...(options.now ? { now: options.now } : {}) });
}

/** Small delays so retries happen within a test; no jitter, so retry times are exact. */
export const FAST_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 3,
  initialDelayMs: 20,
  maxDelayMs: 100,
  multiplier: 2,
  jitter: 'none',
  maxRetryAfterMs: 1_500,
};

let sequence = 0;

/** A valid envelope for `url` accepted at `nowMs`, with the fast policy unless overridden. */
export function envelopeFor(url: string, input: Partial<EnvelopeInput> = {}, nowMs = Date.now()): Envelope {
  return createEnvelope(
    { request: { method: 'GET', url, timeoutMs: 2_000 }, policy: FAST_POLICY, ...input },
    { nowMs },
  );
}

/** An HttpCaller that may reach loopback (the target server and the callback receiver). */
export function loopbackHttp(maxConcurrentPerHost = 64): HttpCaller {
  return new HttpCaller({ policy: EgressPolicy.fromAllowList(['127.0.0.1']), maxResponseBodyBytes: 4096, maxConcurrentPerHost });
}

/** Every message in `queue`, read (and acknowledged) by a group of its own as they arrive. */
export async function collect(backend: QueueBackend, queue: string): Promise<{ messages: Delivery[]; close: () => Promise<void> }> {
  const messages: Delivery[] = [];
  const consumer = await backend.consume({
    queue,
    group: `test-collector-${sequence++}`,
    batchSize: 1000,
    handler: async (batch) => void messages.push(...batch),
  });
  return { messages, close: () => consumer.close() };
}

import { DEFAULT_RETRY_POLICY } from '@parc/backoff';
import type { Envelope } from './schema';

/** 2025-01-15T12:00:00.000Z */
export const NOW_MS = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A complete, valid envelope with one recorded attempt; tests change one thing at a time. */
export function validEnvelope(): Envelope {
  return {
    v: 1,
    id: '01JHNB4J00ABCDEFGHJKMNPQRS',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    batchId: '01JHNB4J00ZZZZZZZZZZZZZZZZ',
    acceptedAt: '2025-01-15T12:00:00.000Z',
    deadlineAt: '2025-01-15T13:00:00.000Z',
    request: {
      method: 'POST',
      url: 'https://api.example.com/hooks?x=1',
      headers: { 'Content-Type': 'application/json', 'X-Token': 'secret' },
      bodyBase64: Buffer.from('{"hello":"world"}').toString('base64'),
      timeoutMs: 10_000,
    },
    policy: { ...DEFAULT_RETRY_POLICY, retryOnStatuses: [429, 503], retryOnErrors: ['timeout'] },
    callback: { url: 'https://client.example.com/parc-results', headers: { Authorization: 'Bearer t' } },
    metadata: { customer: 42, tags: ['a', 'b'] },
    attempts: [
      {
        attempt: 1,
        startedAt: '2025-01-15T12:00:01.000Z',
        durationMs: 12.5,
        status: 503,
        headers: { 'retry-after': '5', 'set-cookie': ['a=1', 'b=2'] },
        bodyBase64: Buffer.from('busy').toString('base64'),
        bodyTruncated: false,
        retryAfterMs: 5000,
      },
    ],
  };
}

// Tests deliberately put wrong types anywhere in an envelope: `any` is the honest type here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** A deep copy of {@link validEnvelope} with `change` applied to it. */
export function envelopeWith(change: (envelope: Loose) => void): unknown {
  const envelope = structuredClone(validEnvelope()) as Loose;
  change(envelope);
  return envelope;
}

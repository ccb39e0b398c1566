import { createHmac } from 'node:crypto';
import { WEBHOOK_SECRET, type Expected, type ReceivedCallback } from '@parc/testing';
import { computeLedger, ledgerFailures, longestStall, type RunObservations } from './ledger';

const OK: Expected = { kind: '200', status: 'succeeded', attempts: 1 };
const START = 1_000_000;

/** A delivery signed as the responder signs it (Standard Webhooks), or with a wrong key. */
function delivery(id: string, atMs: number, outcome: { status: string; attempts: number } = { status: 'succeeded', attempts: 1 }, forged = false): ReceivedCallback {
  const body = JSON.stringify({ id, status: outcome.status, attempts: Array.from({ length: outcome.attempts }, () => ({ status: 200, startedAt: '', durationMs: 1 })), request: { url: 'http://t' } });
  const timestamp = String(Math.floor((START + atMs) / 1000));
  const key = forged ? Buffer.from('another key of twenty-four b') : Buffer.from(WEBHOOK_SECRET.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { id, headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` }, body, receivedAt: START + atMs, answeredWith: 200 };
}

function run(overrides: Partial<RunObservations>): RunObservations {
  return {
    accepted: [],
    acceptances: [],
    deliveries: [],
    startedAtEpochMs: START,
    endedAtMs: 60_000,
    webhookSecrets: WEBHOOK_SECRET,
    targetCalls: 0,
    expectedTargetCalls: 0,
    faults: [],
    unexpectedExits: [],
    peakRssMiB: {},
    intake: { retries: 0, answers503: 0, answers409: 0, longest409Ms: 0, retryAfter: undefined },
    ...overrides,
  };
}

describe('computeLedger', () => {
  it('counts a clean run as clean', () => {
    const ledger = computeLedger(run({
      accepted: [{ id: 'a', expected: OK }, { id: 'b', expected: OK }],
      acceptances: [{ atMs: 0, count: 2 }],
      deliveries: [delivery('a', 100), delivery('b', 200)],
      targetCalls: 2,
      expectedTargetCalls: 2,
    }));
    expect(ledger).toMatchObject({ accepted: 2, delivered: 2, lost: 0, conflicting: 0, wrong: 0, duplicateCallbacks: 0, badSignatures: 0, extraTargetCalls: 0 });
    expect(ledgerFailures(ledger)).toEqual([]);
  });

  it('finds the lost, the conflicting, the wrong, the duplicated and the forged', () => {
    const ledger = computeLedger(run({
      accepted: ['lost', 'twice', 'conflict', 'wrong', 'forged'].map((id) => ({ id, expected: OK })),
      acceptances: [{ atMs: 0, count: 5 }],
      deliveries: [
        delivery('twice', 100),
        delivery('twice', 150),
        delivery('conflict', 200),
        delivery('conflict', 250, { status: 'succeeded', attempts: 2 }),
        delivery('wrong', 300, { status: 'failed', attempts: 1 }),
        delivery('forged', 400, undefined, true),
      ],
      targetCalls: 7,
      expectedTargetCalls: 5,
    }));
    expect(ledger).toMatchObject({ accepted: 5, delivered: 4, lost: 1, conflicting: 1, wrong: 1, duplicateCallbacks: 2, duplicatesDiffering: 1, badSignatures: 1, extraTargetCalls: 2, extraTargetCallsPct: 40 });
    expect(ledgerFailures(ledger)).toHaveLength(5);
  });

  it('fails a run in which a process exited by itself', () => {
    const ledger = computeLedger(run({ unexpectedExits: [{ app: 'responder', atMs: 5, code: 1, signal: null }] }));
    expect(ledgerFailures(ledger)).toEqual(['1 processes exited that the test did not kill']);
  });
});

describe('longestStall', () => {
  it.each([
    { name: 'nothing pending, no stall', acceptances: [], deliveries: [], expected: { ms: 0, atMs: 0 } },
    { name: 'the wait for the first callback counts', acceptances: [{ atMs: 1_000, count: 1 }], deliveries: [4_000], expected: { ms: 3_000, atMs: 1_000 } },
    { name: 'idle time with nothing pending does not', acceptances: [{ atMs: 0, count: 1 }, { atMs: 10_000, count: 1 }], deliveries: [500, 11_000], expected: { ms: 1_000, atMs: 10_000 } },
    { name: 'the longest gap between callbacks', acceptances: [{ atMs: 0, count: 3 }], deliveries: [100, 5_100, 5_200], expected: { ms: 5_000, atMs: 100 } },
    { name: 'work never called back stalls until the end', acceptances: [{ atMs: 0, count: 2 }], deliveries: [100], expected: { ms: 59_900, atMs: 100 } },
  ])('$name', ({ acceptances, deliveries, expected }) => {
    expect(longestStall(acceptances, deliveries, 60_000)).toEqual(expected);
  });

  it('does not count the time inside excluded spans (the broker down)', () => {
    expect(longestStall([{ atMs: 0, count: 2 }], [100, 30_100], 60_000, [{ fromMs: 5_000, toMs: 25_000 }])).toEqual({ ms: 10_000, atMs: 100 });
  });
});

import { createEnvelope } from '@parc/envelope';
import { MemoryDestinationGate } from '@parc/memory';
import { Registry } from 'prom-client';
import { DestinationControl, callOutcome, stricter, type DestinationPolicy } from './destinations';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function envelope(url: string, flowControl?: Parameters<typeof createEnvelope>[0]['flowControl']) {
  return createEnvelope({ request: { method: 'GET', url }, ...(flowControl === undefined ? {} : { flowControl }) }, { nowMs: 1_700_000_000_000 });
}

function control(policy: DestinationPolicy, gate = new MemoryDestinationGate()) {
  return new DestinationControl({ gate, policy, logger: silent, registry: new Registry() });
}

describe('callOutcome: what a call says about its destination', () => {
  it.each([
    [{ status: 200 }, 'success'],
    [{ status: 404 }, 'success'],
    [{ status: 429 }, 'overload'],
    [{ status: 503 }, 'overload'],
    [{ status: 500 }, 'failure'],
    [{ error: { code: 'timeout', message: '' } }, 'overload'],
    [{ error: { code: 'connection_reset', message: '' } }, 'overload'],
    [{ error: { code: 'connection_refused', message: '' } }, 'failure'],
    [{ status: 200, error: { code: 'response_too_large', message: '' } }, 'success'],
    [{ error: { code: 'destination_blocked', message: '' } }, undefined],
    [{ error: { code: 'invalid_request', message: '' } }, undefined],
  ] as const)('%j → %s', (record, outcome) => {
    expect(callOutcome(record)).toBe(outcome);
  });
});

describe('stricter: an operator limit a request cannot raise', () => {
  it('takes the lower rate per ms with its own period, the lower parallelism, and adaptive from either', () => {
    expect(stricter({ rate: 100, periodMs: 1_000, parallelism: 10 }, { rate: 3_000, periodMs: 60_000, parallelism: 20 })).toEqual({ rate: 3_000, periodMs: 60_000, parallelism: 10 });
    expect(stricter({ parallelism: 5 }, { rate: 10, adaptive: true })).toEqual({ rate: 10, parallelism: 5, adaptive: true });
    expect(stricter({}, undefined)).toEqual({});
  });
});

describe('DestinationControl.limitsOf', () => {
  const policy: DestinationPolicy = { defaults: { parallelism: 50 }, perOrigin: new Map([['https://partner.example', { rate: 10, periodMs: 1_000 }]]) };

  it('keys a request by its origin unless it names a key, and applies the operator limits to origin keys only', () => {
    const c = control(policy);
    expect(c.limitsOf(envelope('https://partner.example/a?b=1'))).toEqual({ key: 'https://partner.example', limits: { rate: 10, periodMs: 1_000, parallelism: 50 } });
    expect(c.limitsOf(envelope('https://partner.example/a', { parallelism: 2 }))).toEqual({ key: 'https://partner.example', limits: { rate: 10, periodMs: 1_000, parallelism: 2 } });
    expect(c.limitsOf(envelope('https://partner.example/a', { key: 'mine', rate: 500 }))).toEqual({ key: 'mine', limits: { key: 'mine', rate: 500 } });
    expect(c.limitsOf(envelope('https://other.example/x'))).toEqual({ key: 'https://other.example', limits: { parallelism: 50 } });
  });

  it('lets requests of unlimited keys through without asking the gate, and gates the others', async () => {
    const gate = new MemoryDestinationGate();
    const asked: number[] = [];
    const pass = gate.pass.bind(gate);
    gate.pass = async (requests) => {
      asked.push(requests.length);
      return pass(requests);
    };
    const c = control({ defaults: {}, perOrigin: new Map() }, gate);
    const items = [envelope('https://free.example/1'), envelope('https://free.example/2'), envelope('https://a.example/1', { parallelism: 1 }), envelope('https://a.example/2', { parallelism: 1 })].map((e) => ({ envelope: e }));
    const { go, waiting } = await c.admit(items);
    expect(asked).toEqual([2]);
    expect(go.map(({ key, leaseId }) => [key, leaseId !== undefined])).toEqual([
      ['https://free.example', false],
      ['https://free.example', false],
      ['https://a.example', true],
    ]);
    expect(waiting.map(({ reason }) => reason)).toEqual(['parallelism']);
  });
});

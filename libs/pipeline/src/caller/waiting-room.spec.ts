import { createEnvelope, type AttemptRecord } from '@parc/envelope';
import { MemoryDestinationGate } from '@parc/memory';
import type { DelayedQueue } from '@parc/queue';
import { Registry } from 'prom-client';
import { DestinationControl, type Admitted } from './destinations';
import { WaitingRoom } from './waiting-room';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function item(url: string, flowControl: { parallelism?: number; rate?: number }, deadlineMs?: number) {
  return { envelope: createEnvelope({ request: { method: 'GET', url }, flowControl, ...(deadlineMs === undefined ? {} : { deadlineMs }) }, { nowMs: Date.now() }) };
}

const okRecord = (): AttemptRecord => ({ attempt: 1, startedAt: new Date().toISOString(), durationMs: 5, status: 200 }) as AttemptRecord;

/** A delayed set that only records what the room brings forward. */
function recordingDelayed(): DelayedQueue & { expedited: string[] } {
  const expedited: string[] = [];
  return {
    name: 'delayed',
    targetQueue: 'due',
    expedited,
    schedule: async () => undefined,
    promoteDue: async () => 0,
    remove: async () => 0,
    expedite: async (ids) => {
      expedited.push(...ids);
      return ids.length;
    },
    size: async () => 0,
    countDueBy: async () => 0,
  };
}

function setup(room = { maxBatches: 4, maxRequests: 16 }) {
  const delayed = recordingDelayed();
  const control = new DestinationControl({ gate: new MemoryDestinationGate({ random: () => 0 }), policy: { defaults: {}, perOrigin: new Map() }, logger: silent, registry: new Registry(), syncIntervalMs: 60_000 });
  const close = control.start({ delayed, ...room });
  return { control, delayed, close };
}

describe('the waiting room: requests held back by their key wait in the caller', () => {
  it('lets a held request go as soon as a lease of its key comes back, in order', async () => {
    const { control, close } = setup();
    const signal = new AbortController().signal;
    const batch = [1, 2, 3].map((n) => item(`https://a.example/${n}`, { parallelism: 1 }));
    const { go, waiting } = await control.admit(batch);
    expect(go).toHaveLength(1);
    const { seated, refused } = control.hold(waiting, signal);
    expect([seated.length, refused.length]).toEqual([2, 0]);
    const order: string[] = [];
    const next = seated.map((leaving) => leaving.then((how) => {
      order.push(how.kind === 'go' ? how.item.envelope.request.url : how.kind);
      return how;
    }));
    control.finished(go[0] as Admitted<unknown>, okRecord());
    const second = await next[0];
    expect(second?.kind).toBe('go');
    if (second?.kind !== 'go') throw new Error('unreachable');
    control.finished({ item: second.item, key: second.key, leaseId: second.leaseId, probe: false }, okRecord());
    await next[1];
    expect(order).toEqual(['https://a.example/2', 'https://a.example/3']);
    await close.close();
  });

  it('ends a held request whose deadline passes, and lets every seat leave as closing on abort', async () => {
    const { control, close } = setup();
    const abort = new AbortController();
    const soon = 150;
    const { waiting } = await control.admit([item('https://b.example/1', { parallelism: 1 }), item('https://b.example/2', { parallelism: 1 }, soon), item('https://b.example/3', { parallelism: 1 })]);
    const { seated } = control.hold(waiting, abort.signal);
    expect((await seated[0])?.kind).toBe('late');
    abort.abort();
    expect((await seated[1])?.kind).toBe('closing');
    await close.close();
  });

  it('refuses a batch when its batches are all taken, and brings requests of a moving key forward from the delayed set', async () => {
    const { control, delayed, close } = setup({ maxBatches: 1, maxRequests: 8 });
    const signal = new AbortController().signal;
    const first = await control.admit([item('https://c.example/1', { parallelism: 1 }), item('https://c.example/2', { parallelism: 1 })]);
    expect(control.hold(first.waiting, signal).seated).toHaveLength(1);
    const second = await control.admit([item('https://c.example/3', { parallelism: 1 })]);
    const { refused } = control.hold(second.waiting, signal);
    expect(refused).toHaveLength(1);
    control.putBack(refused[0] as (typeof refused)[number]);
    control.finished(first.go[0] as Admitted<unknown>, okRecord());
    for (let i = 0; i < 50 && delayed.expedited.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(delayed.expedited).toEqual([second.waiting[0]?.item.envelope.id]);
    await close.close();
  });

  it("brings forward a second of what a moving key's leases come back at, counting those on their way until they are back", async () => {
    const delayed = recordingDelayed();
    const asked: number[] = [];
    const room = new WaitingRoom<string>({
      pass: async (asks) => {
        asked.push(asks.length);
        return asks.map(() => ({ kind: 'wait', reason: 'parallelism', turnAtMs: Date.now() + 50 }));
      },
      delayed,
      logger: silent,
      maxBatches: 4,
      maxRequests: 1_000,
    });
    for (let n = 0; n < 2_000; n++) room.remember('k', `r${n}`);
    const signal = new AbortController().signal;
    const hold = { key: 'k', requestId: 'held', limits: { parallelism: 10 }, leaseMs: 1_000, reason: 'parallelism' as const, turnAtMs: Date.now() + 50, waits: 1, deadlineMs: undefined };
    room.hold([{ ...hold, item: 'held' }], signal);
    // 300 leases of the key came back within the last two seconds (150/s): a second's worth is wanted on the way.
    for (let n = 0; n < 3; n++) room.released('k', 100);
    for (let i = 0; i < 50 && delayed.expedited.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const first = delayed.expedited.length;
    expect(first).toBeGreaterThan(140);
    expect(first).toBeLessThanOrEqual(166);
    // The next rounds count those on their way and bring nothing more.
    const rounds = asked.length;
    for (let i = 0; i < 50 && asked.length < rounds + 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(asked.length).toBeGreaterThanOrEqual(rounds + 2);
    expect(delayed.expedited).toHaveLength(first);
    // 100 of them are back: 100 more are brought forward.
    for (const id of delayed.expedited.slice(0, 100)) room.arrived('k', id);
    for (let i = 0; i < 50 && delayed.expedited.length === first; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(delayed.expedited).toHaveLength(first + 100);
    room.close();
  });
});

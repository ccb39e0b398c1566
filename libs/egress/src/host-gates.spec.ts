import { HostGates } from './host-gates';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('HostGates', () => {
  it('admits up to the limit per host, independently for each host', () => {
    const gates = new HostGates(2);
    expect([gates.tryAcquire('a'), gates.tryAcquire('a'), gates.tryAcquire('a'), gates.tryAcquire('b')]).toEqual([true, true, false, true]);
    expect(gates.active).toBe(3);
  });

  it('hands freed slots to waiters in arrival order, before any newcomer', async () => {
    const gates = new HostGates(1);
    const order: string[] = [];
    gates.tryAcquire('a');
    const first = gates.wait('a').then(() => order.push('first'));
    const second = gates.wait('a').then(() => order.push('second'));
    expect(gates.waiting).toBe(2);

    gates.release('a');
    await first;
    expect(gates.tryAcquire('a')).toBe(false); // the slot went to `first`, not to a newcomer
    expect([gates.active, gates.waiting]).toEqual([1, 1]);

    gates.release('a');
    await second;
    expect(order).toEqual(['first', 'second']);
    expect([gates.active, gates.waiting]).toEqual([1, 0]);
  });

  it('drops a waiter whose signal aborts, rejecting with the reason', async () => {
    const gates = new HostGates(1);
    gates.tryAcquire('a');
    const controller = new AbortController();
    const waiting = gates.wait('a', controller.signal);
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(gates.waiting).toBe(0);
    gates.release('a');
    expect(gates.active).toBe(0);
  });

  it('drops a waiter when either of its signals aborts, and stops listening to the other', async () => {
    const gates = new HostGates(1);
    gates.tryAcquire('a');
    const shutdown = new AbortController();
    const unsent = new AbortController();
    const waiting = gates.wait('a', shutdown.signal, unsent.signal);
    const reason = new Error('closing: not sent');
    unsent.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(gates.waiting).toBe(0);
    shutdown.abort(new Error('later'));
    gates.release('a');
    expect([gates.active, gates.waiting]).toEqual([0, 0]);
  });

  it('rejects at once for an already aborted signal', async () => {
    const gates = new HostGates(1);
    gates.tryAcquire('a');
    await expect(gates.wait('a', AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
    expect(gates.waiting).toBe(0);
  });

  it('resolves whenIdle once nothing holds or waits for a slot', async () => {
    const gates = new HostGates(1);
    await gates.whenIdle();
    gates.tryAcquire('a');
    const queued = gates.wait('a');
    let idle = false;
    void gates.whenIdle().then(() => (idle = true));
    gates.release('a');
    await queued;
    await flush();
    expect(idle).toBe(false);
    gates.release('a');
    await flush();
    expect(idle).toBe(true);
  });

  it('throws on release without a slot (a programmer error)', () => {
    expect(() => new HostGates(1).release('a')).toThrow('without a slot');
  });
});

import { Agent, request } from 'undici';
import { startCapacityTarget, type CapacityTarget, type OverloadMode } from './target';

/** Real HTTP on loopback: each call on a connection of its own, so the target sees them at once. */
describe('the capacity target', () => {
  let agent: Agent;
  let target: CapacityTarget | undefined;

  beforeEach(() => {
    agent = new Agent({ connections: 32 });
  });
  afterEach(async () => {
    await target?.close();
    target = undefined;
    await agent.close();
  });

  const start = async (mode: OverloadMode, capacity: number, latencyMs: number): Promise<CapacityTarget> => {
    target = await startCapacityTarget({ capacity, latencyMs, mode, sampleMs: 50 });
    target.startClock();
    return target;
  };
  const call = async (url: string, signal?: AbortSignal): Promise<{ status: number; retryAfter: string | undefined; ms: number }> => {
    const started = performance.now();
    const response = await request(url, { dispatcher: agent, ...(signal ? { signal } : {}) });
    await response.body.dump();
    return { status: response.statusCode, retryAfter: response.headers['retry-after'] as string | undefined, ms: performance.now() - started };
  };
  /** Waits (at most 2 s) until `condition` holds. */
  const until = async (condition: () => boolean): Promise<void> => {
    const deadline = performance.now() + 2_000;
    while (!condition() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const totals = (t: CapacityTarget) => {
    const samples = t.stopClock();
    return {
      calls: samples.reduce((sum, s) => sum + s.calls, 0),
      ok: samples.reduce((sum, s) => sum + s.ok, 0),
      tooMany: samples.reduce((sum, s) => sum + s.tooMany, 0),
      aborted: samples.reduce((sum, s) => sum + s.aborted, 0),
      maxInFlight: Math.max(...samples.map((s) => s.maxInFlight)),
      maxQueued: Math.max(...samples.map((s) => s.maxQueued)),
      latencySumMs: samples.reduce((sum, s) => sum + s.meanLatencyMs * s.ok, 0),
    };
  };

  it('shed: serves N at once, queues N more (their latency grows) and answers 429 with Retry-After: 1 beyond 2N', async () => {
    const t = await start('shed', 2, 200);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call(t.urlFor('x', String(i)))));
    const ok = answers.filter((a) => a.status === 200).sort((x, y) => x.ms - y.ms);
    const shed = answers.filter((a) => a.status === 429);
    expect(ok).toHaveLength(4);
    expect(shed).toHaveLength(2);
    expect(shed.map((a) => a.retryAfter)).toEqual(['1', '1']);
    // The shed calls are answered at once; the queued ones wait for a slot: about twice the latency.
    for (const a of shed) expect(a.ms).toBeLessThan(150);
    expect(ok[3]?.ms).toBeGreaterThanOrEqual(360);
    const seen = totals(t);
    expect(seen).toMatchObject({ calls: 6, ok: 4, tooMany: 2, aborted: 0, maxInFlight: 2, maxQueued: 2 });
    // Mean latency at the target: two at ~200 ms, two at ~400 ms.
    expect(seen.latencySumMs / seen.ok).toBeGreaterThanOrEqual(280);
    expect(seen.latencySumMs / seen.ok).toBeLessThan(800);
  });

  it('shed: a queued call the client gives up on counts as abandoned and frees its place in the queue', async () => {
    const t = await start('shed', 2, 400);
    const served = [call(t.urlFor('x', 's1')), call(t.urlFor('x', 's2'))];
    await until(() => t.inFlight() === 2);
    const giveUp = new AbortController();
    const leaving = call(t.urlFor('x', 'leaving'), giveUp.signal).then(
      () => 'answered',
      () => 'gave up',
    );
    const waiting = call(t.urlFor('x', 'waiting'));
    await until(() => t.queued() === 2);
    expect(t.inFlight()).toBe(2);
    giveUp.abort();
    expect(await leaving).toBe('gave up');
    await until(() => t.queued() === 1);
    // The queue had been full (2N at the target); the abandoned call's place takes this one.
    const late = call(t.urlFor('x', 'late'));
    const answers = await Promise.all([...served, waiting, late]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(totals(t)).toMatchObject({ calls: 5, ok: 4, tooMany: 0, aborted: 1, maxInFlight: 2, maxQueued: 2 });
  });

  it('429: answers a call beyond N at once, queueing nothing', async () => {
    const t = await start('429', 2, 50);
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => call(t.urlFor('x', String(i)))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429, 429]);
    expect(totals(t)).toMatchObject({ calls: 4, ok: 2, tooMany: 2, maxInFlight: 2, maxQueued: 0 });
  });

  it('slow: serves every call, slower beyond N', async () => {
    const t = await start('slow', 1, 50);
    const answers = await Promise.all(Array.from({ length: 3 }, (_, i) => call(t.urlFor('x', String(i)))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeGreaterThanOrEqual(140);
    expect(totals(t)).toMatchObject({ calls: 3, ok: 3, tooMany: 0, maxInFlight: 3, maxQueued: 0 });
  });
});

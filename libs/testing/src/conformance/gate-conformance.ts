import { randomBytes } from 'node:crypto';
import { DEFAULT_GATE_SETTINGS, type DestinationGate, type GateSettings, type PassDecision, type PassRequest } from '@parc/store';

export interface GateConformanceTarget {
  readonly name: string;
  /** A gate on a fresh namespace, reading the time from `now` and with no jitter (`random` = 0). */
  create(options: { readonly settings: GateSettings; readonly now: () => number; readonly random: () => number }): Promise<GateUnderTest> | GateUnderTest;
}

export interface GateUnderTest {
  readonly gate: DestinationGate;
  close(): Promise<void>;
}

const unique = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

const SETTINGS: GateSettings = {
  ...DEFAULT_GATE_SETTINGS,
  breaker: { consecutiveFailures: 3, minCalls: 10, windowMs: 10_000, failureRatio: 0.5, cooldownMs: 1_000, maxCooldownMs: 3_000 },
  adaptive: { initialLimit: 4, maxLimit: 50, windowMs: 500, latencyTolerance: 2 },
  recheckMs: 1_000,
};

/**
 * The contract of `DestinationGate` (docs/destinations.md) for every implementation: rate and
 * parallelism held, turns handed out in order with returning requests ahead of newcomers, leases
 * that expire, the breaker opening on failures in a row or on a failure share, probing and
 * closing, pause and Retry-After, the adaptive limit, and the operator's view.
 */
export function describeGateConformance(target: GateConformanceTarget): void {
  describe(`destination gate conformance: ${target.name}`, () => {
    let clock: number;
    let subject: GateUnderTest;
    let gate: DestinationGate;
    let key: string;

    beforeEach(async () => {
      clock = 1_700_000_000_000;
      subject = await target.create({ settings: SETTINGS, now: () => clock, random: () => 0 });
      gate = subject.gate;
      key = unique('dest');
    });
    afterEach(() => subject.close());

    let serial = 0;
    const ask = (limits: PassRequest['limits'], extra: Partial<PassRequest> = {}): PassRequest => ({
      key,
      requestId: `r${++serial}`,
      leaseId: `l${serial}`,
      leaseMs: 10_000,
      limits,
      ...extra,
    });
    const kinds = (decisions: readonly PassDecision[]): string[] => decisions.map((d) => (d.kind === 'go' ? 'go' : d.reason));
    const turnOf = (decision: PassDecision | undefined): number => {
      if (decision?.kind !== 'wait') throw new Error(`expected a wait, got ${JSON.stringify(decision)}`);
      return decision.turnAtMs;
    };

    it('holds parallelism, hands out turns in order, and lets a returning request ahead of newcomers', async () => {
      const limits = { parallelism: 2 };
      const first = [ask(limits), ask(limits), ask(limits), ask(limits)];
      const decisions = await gate.pass(first);
      expect(kinds(decisions)).toEqual(['go', 'go', 'parallelism', 'parallelism']);
      const [third, fourth] = [turnOf(decisions[2]), turnOf(decisions[3])];
      expect(third).toBeGreaterThan(clock);
      expect(fourth).toBeGreaterThan(third);
      expect((await gate.get(key))?.inFlight).toBe(2);
      expect((await gate.get(key))?.waiting).toBe(2);

      await gate.release([{ key, leaseId: first[0]?.leaseId as string, outcome: 'success', durationMs: 50 }]);
      clock = third;
      // A newcomer waits behind the turns handed out; the request back for its turn goes.
      const [newcomer] = await gate.pass([ask(limits)]);
      expect(turnOf(newcomer)).toBeGreaterThan(fourth);
      const [returning] = await gate.pass([{ ...(first[2] as PassRequest), leaseId: 'l-again', turnAtMs: third, waits: 1 }]);
      expect(returning).toEqual({ kind: 'go', probe: false });
      expect((await gate.get(key))?.waiting).toBe(2);
    });

    it('keeps the queue as long as the requests still waiting: turns left behind by requests that went early hold no newcomer back', async () => {
      const limits = { parallelism: 1 };
      const first = Array.from({ length: 20 }, () => ask(limits));
      const decisions = await gate.pass(first);
      expect(kinds(decisions).filter((kind) => kind === 'go')).toHaveLength(1);
      const lastTurn = turnOf(decisions[19]);
      expect(lastTurn).toBeGreaterThan(clock + 1_000);
      // Each waiting request is brought forward and goes as soon as the one before it is done.
      let holder = first[0] as PassRequest;
      for (let i = 1; i < first.length; i++) {
        clock += 10;
        await gate.release([{ key, leaseId: holder.leaseId, outcome: 'success', durationMs: 10 }]);
        holder = { ...(first[i] as PassRequest), leaseId: `l-early-${i}`, turnAtMs: turnOf(decisions[i]), waits: 1 };
        expect(await gate.pass([holder])).toEqual([{ kind: 'go', probe: false }]);
      }
      await gate.release([{ key, leaseId: holder.leaseId, outcome: 'success', durationMs: 10 }]);
      expect((await gate.get(key))?.waiting).toBe(0);
      // Well before the last turn handed out, with no one waiting, a newcomer goes at once.
      clock += 10;
      expect(clock).toBeLessThan(lastTurn);
      expect(kinds(await gate.pass([ask(limits)]))).toEqual(['go']);
    });

    it('holds a rate over a sliding window', async () => {
      const limits = { rate: 3, periodMs: 1_000 };
      const decisions = await gate.pass([ask(limits), ask(limits), ask(limits), ask(limits), ask(limits)]);
      expect(kinds(decisions)).toEqual(['go', 'go', 'go', 'rate', 'rate']);
      const [fourth, fifth] = [turnOf(decisions[3]), turnOf(decisions[4])];
      expect(fifth - fourth).toBeGreaterThanOrEqual(333);
      clock += 999;
      // Still inside the window of the first three: a request back for its turn waits again, keeping its place.
      const [early] = await gate.pass([ask(limits, { turnAtMs: fourth, waits: 1 })]);
      expect(early?.kind).toBe('wait');
      // A call counts for its window plus a guard of 5 % (at most 25 ms): it reaches the destination a moment after it was let through.
      clock += 26;
      const [due] = await gate.pass([ask(limits, { turnAtMs: fourth, waits: 2 })]);
      expect(due).toEqual({ kind: 'go', probe: false });
    });

    it('counts a call that started late from when it started', async () => {
      const limits = { rate: 1, periodMs: 1_000 };
      const [first] = await gate.pass([ask(limits, { leaseId: 'late' })]);
      expect(first?.kind).toBe('go');
      // It reached the destination 500 ms after it was let through.
      await gate.release([{ key, leaseId: 'late', outcome: 'success', durationMs: 5, startedAtMs: clock + 500 }]);
      clock += 1_100;
      expect(kinds(await gate.pass([ask(limits, { turnAtMs: clock })]))).toEqual(['rate']);
      clock += 430;
      expect(kinds(await gate.pass([ask(limits, { turnAtMs: clock })]))).toEqual(['go']);
    });

    it('gives a lease back by itself when its holder never releases it', async () => {
      const limits = { parallelism: 1 };
      expect(kinds(await gate.pass([ask(limits, { leaseMs: 200 })]))).toEqual(['go']);
      const [blocked] = await gate.pass([ask(limits)]);
      clock = Math.max(clock + 201, turnOf(blocked));
      expect(kinds(await gate.pass([ask(limits, { turnAtMs: turnOf(blocked) })]))).toEqual(['go']);
    });

    it('opens the breaker after failures in a row, probes after the cool-down, and closes on success', async () => {
      const tally = { key, success: 0, failure: 3, overload: 0, trailingFailures: 3, hadSuccess: false, durationMsSum: 30 };
      const restricted = await gate.sync([tally]);
      expect(restricted.keys.has(key)).toBe(true);
      expect((await gate.get(key))?.breaker).toBe('open');
      const [held] = await gate.pass([ask({})]);
      expect(held).toMatchObject({ kind: 'wait', reason: 'breaker_open' });
      expect(turnOf(held)).toBeGreaterThanOrEqual(clock + 1_000);

      clock += 1_000;
      const [probe, other] = await gate.pass([ask({}, { leaseId: 'probe-1' }), ask({})]);
      expect(probe).toEqual({ kind: 'go', probe: true });
      expect(other).toMatchObject({ kind: 'wait', reason: 'breaker_open' });
      expect((await gate.get(key))?.breaker).toBe('half_open');

      // A failed probe opens it again for twice the cool-down.
      await gate.release([{ key, leaseId: 'probe-1', outcome: 'failure', durationMs: 5, probe: true }]);
      expect((await gate.get(key))?.breaker).toBe('open');
      clock += 1_999;
      expect(kinds(await gate.pass([ask({})]))).toEqual(['breaker_open']);
      clock += 1;
      const [second] = await gate.pass([ask({}, { leaseId: 'probe-2' })]);
      expect(second).toEqual({ kind: 'go', probe: true });
      await gate.release([{ key, leaseId: 'probe-2', outcome: 'success', durationMs: 5, probe: true }]);
      expect((await gate.get(key))?.breaker).toBe('closed');
      expect((await gate.sync([])).keys.has(key)).toBe(false);
      expect(kinds(await gate.pass([ask({}), ask({})]))).toEqual(['go', 'go']);
    });

    it('opens the breaker on a failure share over the window, not on scattered failures', async () => {
      // Each tally's success came after its failures: never three failures in a row.
      const mixed = (success: number, failure: number) => ({ key, success, failure, overload: 0, trailingFailures: 0, hadSuccess: true, durationMsSum: 10 });
      await gate.sync([mixed(8, 1)]);
      expect((await gate.get(key))?.breaker).toBe('closed'); // 9 calls: under minCalls
      await gate.sync([mixed(2, 4)]);
      expect((await gate.get(key))?.breaker).toBe('closed'); // 5 of 15 failed: under the ratio
      await gate.sync([mixed(1, 6)]);
      expect((await gate.get(key))?.breaker).toBe('open'); // 11 of 22 failed
    });

    it('pauses and resumes a key, and keeps a key paused by Retry-After until then', async () => {
      const paused = await gate.setPaused(key, true);
      expect(paused).toMatchObject({ key, paused: true });
      const [held] = await gate.pass([ask({})]);
      expect(held).toMatchObject({ kind: 'wait', reason: 'paused' });
      expect((await gate.sync([])).keys.has(key)).toBe(true);
      expect((await gate.list()).map((state) => state.key)).toContain(key);
      await gate.setPaused(key, false);
      expect(kinds(await gate.pass([ask({})]))).toEqual(['go']);

      await gate.release([{ key, leaseId: 'x', outcome: 'overload', durationMs: 3, retryAfterMs: 2_000 }]);
      const [later] = await gate.pass([ask({})]);
      expect(later).toMatchObject({ kind: 'wait', reason: 'retry_after' });
      expect(turnOf(later)).toBeGreaterThanOrEqual(clock + 2_000);
      expect((await gate.get(key))?.retryAfterUntil).toBe(new Date(clock + 2_000).toISOString());
      clock += 2_000;
      expect(kinds(await gate.pass([ask({})]))).toEqual(['go']);
      expect((await gate.sync([])).keys.has(key)).toBe(false);
    });

    it('learns a limit: grows while the limit is reached and latency holds, cuts on overload', async () => {
      const limits = { adaptive: true, parallelism: 40 };
      // Every round after the first comes back for its turn (newcomers would queue behind the first round's turns).
      let rounds = 0;
      const round = async (outcome: 'success' | 'overloads', durationMs: number): Promise<number> => {
        const asks = Array.from({ length: 60 }, () => ask(limits, rounds++ === 0 ? {} : { turnAtMs: clock }));
        const decisions = await gate.pass(asks);
        const granted = asks.filter((_, index) => decisions[index]?.kind === 'go');
        clock += 600;
        // 'overloads': all but the last call overloaded, so the breaker (3 in a row) stays closed.
        const outcomeOf = (index: number) => (outcome === 'overloads' && index < granted.length - 1 ? 'overload' : 'success');
        await gate.release(granted.map((request, index) => ({ key, leaseId: request.leaseId, outcome: outcomeOf(index), durationMs })));
        return granted.length;
      };
      expect(await round('success', 20)).toBe(4);
      expect((await gate.get(key))?.learnedLimit).toBe(6); // slow start: ×1.5
      await round('success', 20);
      expect((await gate.get(key))?.learnedLimit).toBe(9);
      await round('overloads', 20);
      const cut = (await gate.get(key))?.learnedLimit as number;
      expect(cut).toBeLessThan(9);
      await round('success', 20);
      expect((await gate.get(key))?.learnedLimit).toBe(cut + 1); // after a cut: +1 per window
      // Latency far above the no-load level is congestion too.
      await round('success', 100);
      expect((await gate.get(key))?.learnedLimit).toBeLessThan(cut + 1);
    });

    it('shows the last minute of calls and outcomes', async () => {
      await gate.sync([{ key, success: 5, failure: 1, overload: 2, trailingFailures: 0, hadSuccess: true, durationMsSum: 80 }]);
      expect(await gate.get(key)).toMatchObject({ key, breaker: 'closed', paused: false, inFlight: 0, waiting: 0, lastMinute: { calls: 8, success: 5, failure: 1, overload: 2 } });
      clock += 61_000;
      await gate.sync([{ key, success: 1, failure: 0, overload: 0, trailingFailures: 0, hadSuccess: true, durationMsSum: 8 }]);
      expect((await gate.get(key))?.lastMinute).toEqual({ calls: 1, success: 1, failure: 0, overload: 0 });
      expect(await gate.get(unique('never-seen'))).toBeUndefined();
    });
  });
}

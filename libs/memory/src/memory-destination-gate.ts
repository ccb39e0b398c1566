import {
  DEFAULT_GATE_SETTINGS,
  DEFAULT_PERIOD_MS,
  type BreakerState,
  type CallReport,
  type DestinationGate,
  type DestinationState,
  type GateSettings,
  type OutcomeTally,
  type PassDecision,
  type PassRequest,
  type Restrictions,
  type WaitReason,
} from '@parc/store';

export interface MemoryDestinationGateOptions {
  readonly settings?: GateSettings;
  readonly now?: () => number;
  /** 0..1, spreads the turns of requests that wait for the same thing (tests fix it). */
  readonly random?: () => number;
}

/** Outcome counters are kept per 2-second bucket: enough for the last minute and the breaker's window. */
const BUCKET_MS = 2_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** `list()` shows at most this many keys. */
const LIST_LIMIT = 1_000;

/**
 * Members with a score, like a Redis sorted set, for the few operations the gate needs. Counting
 * what is live means dropping what is stale first; `floor` (no score is below it) lets that skip
 * the scan when nothing can be stale, so a batch of requests of one key does not rescan per request.
 */
class ScoredSet {
  private readonly scores = new Map<string, number>();
  private floor = Infinity;

  get size(): number {
    return this.scores.size;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Adds or moves a member (a move to a higher score leaves `floor` a lower bound: still true). */
  add(member: string, score: number): void {
    this.scores.set(member, score);
    if (score < this.floor) this.floor = score;
  }

  delete(member: string): void {
    this.scores.delete(member);
  }

  /** Drops every member scored at or below `bound`. */
  dropThrough(bound: number): void {
    if (bound < this.floor) return;
    let floor = Infinity;
    for (const [member, score] of this.scores) {
      if (score <= bound) this.scores.delete(member);
      else if (score < floor) floor = score;
    }
    this.floor = floor;
  }
}

interface Outcomes {
  success: number;
  failure: number;
  overload: number;
}

/** The adaptive controller's current window: what it decides on when the window ends. */
interface ControlWindow {
  /** Set by the first adaptive request, then at each window's end. */
  start?: number;
  calls: number;
  durationSum: number;
  overloads: number;
  /** A request had to wait for the learned limit in this window: the limit is worth raising. */
  saturated: boolean;
}

interface KeyState {
  /** The limits of the key's last request: the operator sees them, and they cap the learned limit. */
  rate: number;
  periodMs: number;
  parallelism: number;
  adaptive: boolean;
  /** Where the next newcomer that has to wait gets its turn (epoch ms, fractional). */
  queueAt: number;
  /** Mean call time (ms), a moving average; the pace of a key limited by parallelism. */
  meanMs?: number;
  breaker: BreakerState;
  /** When an open breaker lets its probe through. */
  breakerUntil?: number;
  /** The cool-down the breaker last opened for: a failed probe doubles it. */
  cooldownMs?: number;
  /** The probe's lease ('' once settled, as in Redis) and when it runs out: then another request probes. */
  probeLease?: string;
  probeUntil: number;
  consecutiveFailures: number;
  paused: boolean;
  retryAfterUntil: number;
  /** The adaptive controller: learned limit, slow start, no-load latency, last multiplicative cut. */
  learned?: number;
  slowStart: boolean;
  noLoadMs?: number;
  lastCutAt: number;
  window: ControlWindow;
  seenAt: number;
  /** Lease id → expiry: the calls in flight. */
  readonly leases: ScoredSet;
  /** Lease id → start: the sliding log of the rate. */
  readonly log: ScoredSet;
  /** Request id → turn: requests told to wait whose turn has not come (shown to operators). */
  readonly waiting: ScoredSet;
  /** Bucket start → outcomes in it. */
  readonly buckets: Map<number, Outcomes>;
}

/** One key's outcomes to record, from `release` or `sync`. */
interface Recorded extends Outcomes {
  /** Failures after the last success (all of them when there was none). */
  trailingFailures: number;
  hadSuccess: boolean;
  durationSum: number;
}

/**
 * The destination gate in process memory, for the embedded mode (one process, so "shared by every
 * caller" holds by construction). The decisions are those of the Redis gate's scripts
 * (`@parc/redis`, scripts/destination-scripts.lua.ts), step for step and in the same order, so both
 * pass the same conformance suite and behave alike in between; numbers are kept as Redis keeps
 * them. Every operation runs with no await inside: atomic, as a script is.
 *
 * Redis lets the side sets of a key (leases, rate log, waiting, counters) expire as a whole some
 * time after their last write, to collect garbage; here the stale entries are dropped at each
 * write instead, which keeps memory bounded without ever dropping an entry that is still live. As
 * in Redis, a key's own state (limits, breaker, learned limit, pause) is never forgotten.
 */
export class MemoryDestinationGate implements DestinationGate {
  private readonly settings: GateSettings;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly keys = new Map<string, KeyState>();
  /** Key → last activity; `list()` drops what is older than an hour, `get()` answers only for members. */
  private readonly active = new Map<string, number>();
  /** Keys whose requests must go through `pass` whatever their limits; `sync` drops those no longer restricted. */
  private readonly restricted = new Set<string>();

  constructor(options: MemoryDestinationGateOptions = {}) {
    this.settings = options.settings ?? DEFAULT_GATE_SETTINGS;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  async pass(requests: readonly PassRequest[]): Promise<PassDecision[]> {
    if (requests.length === 0) return [];
    const now = this.now();
    return requests.map((request) => this.passOne(request, now));
  }

  async release(reports: readonly CallReport[]): Promise<void> {
    if (reports.length === 0) return;
    const now = this.now();
    // Outcomes are recorded once per key, after every lease is back, in the order keys first appear.
    const byKey = new Map<string, Recorded>();
    for (const report of reports) {
      const { key, outcome } = report;
      const lease = report.leaseId ?? '';
      const started = report.startedAtMs ?? 0;
      const existing = this.keys.get(key);
      existing?.leases.delete(lease);
      // A call that started later than it was let through moves to when it started in the rate's
      // log: the calls after it keep their distance at the destination.
      const logged = existing?.log.score(lease);
      if (started > 0 && logged !== undefined && started > logged) existing?.log.add(lease, started);
      // Only the breaker's current probe settles it.
      if (report.probe === true && lease !== '' && existing !== undefined && existing.probeLease === lease) {
        if (outcome === undefined) {
          // Released without a call: free the probe's slot at once rather than when its lease runs out.
          existing.probeUntil = 0;
        } else if (outcome === 'success') {
          this.closeBreaker(key, existing, now);
        } else {
          this.openBreaker(key, existing, Math.min(this.settings.breaker.maxCooldownMs, (existing.cooldownMs ?? this.settings.breaker.cooldownMs) * 2), now);
        }
      }
      const retryAfter = report.retryAfterMs ?? 0;
      if (retryAfter > 0) {
        const state = this.stateOf(key);
        state.retryAfterUntil = Math.max(state.retryAfterUntil, now + retryAfter);
        this.restricted.add(key);
      }
      // No outcome: the call never happened, so the breaker and the counters have nothing to learn.
      if (outcome === undefined) continue;
      let recorded = byKey.get(key);
      if (recorded === undefined) {
        recorded = { success: 0, failure: 0, overload: 0, trailingFailures: 0, hadSuccess: false, durationSum: 0 };
        byKey.set(key, recorded);
      }
      if (outcome === 'success') {
        recorded.success++;
        recorded.trailingFailures = 0;
        recorded.hadSuccess = true;
      } else {
        recorded[outcome]++;
        recorded.trailingFailures++;
      }
      // Whole milliseconds, as the Redis gate sends them.
      recorded.durationSum += Math.round(report.durationMs ?? 0);
    }
    for (const [key, recorded] of byKey) this.record(key, recorded, now);
  }

  async sync(tallies: readonly OutcomeTally[]): Promise<Restrictions> {
    const now = this.now();
    for (const tally of tallies) {
      this.record(tally.key, { ...tally, durationSum: Math.round(tally.durationMsSum) }, now);
    }
    for (const key of this.restricted) {
      if (!this.isRestricted(this.keys.get(key), now)) this.restricted.delete(key);
    }
    return { keys: new Set(this.restricted) };
  }

  async setPaused(key: string, paused: boolean): Promise<DestinationState> {
    const now = this.now();
    const state = this.stateOf(key);
    state.paused = paused;
    this.touch(key, state, now);
    this.refreshRestricted(key, state, now);
    return this.view(key, state, now);
  }

  async list(): Promise<DestinationState[]> {
    const now = this.now();
    const since = now - HOUR_MS;
    for (const [key, seenAt] of this.active) {
      if (seenAt <= since) this.active.delete(key);
    }
    // Most recent first; a tie goes by key, descending (as ZREVRANGEBYSCORE orders them).
    const keys = [...this.active]
      .sort(([keyA, a], [keyB, b]) => b - a || (keyA < keyB ? 1 : keyA > keyB ? -1 : 0))
      .slice(0, LIST_LIMIT)
      .map(([key]) => key);
    return keys.map((key) => this.view(key, this.stateOf(key), now));
  }

  async get(key: string): Promise<DestinationState | undefined> {
    if (key === '' || !this.active.has(key)) return undefined;
    const now = this.now();
    return this.view(key, this.stateOf(key), now);
  }

  private passOne(request: PassRequest, now: number): PassDecision {
    const { key, requestId, leaseId, leaseMs } = request;
    const rate = request.limits.rate ?? 0;
    const periodMs = request.limits.periodMs ?? DEFAULT_PERIOD_MS;
    const parallelism = request.limits.parallelism ?? 0;
    const adaptive = request.limits.adaptive === true;
    const turnAt = request.turnAtMs ?? 0;
    const jitter = this.random();

    const state = this.stateOf(key);
    // The limits a request carries are the ones applied when it is called.
    state.rate = rate;
    state.periodMs = periodMs;
    state.parallelism = parallelism;
    state.adaptive = adaptive;
    if (adaptive) state.window.start ??= now;
    this.touch(key, state, now);

    // A paused or breaker-held request asks again less often each time it waits, spread by jitter.
    const { recheckMs } = this.settings;
    const recheck = Math.min(recheckMs * 2 ** (request.waits ?? 0), recheckMs * 10) * (0.5 + 0.5 * jitter);
    const wait = (reason: WaitReason, turn: number): PassDecision => {
      const turnAtMs = Math.floor(turn);
      state.waiting.dropThrough(now - MINUTE_MS);
      state.waiting.add(requestId, turnAtMs);
      return { kind: 'wait', reason, turnAtMs };
    };

    if (state.paused) return wait('paused', now + recheck);
    if (state.retryAfterUntil > now) return wait('retry_after', state.retryAfterUntil + jitter * 250);

    const limit = adaptive
      ? Math.max(1, Math.floor(Math.min(state.learned ?? this.settings.adaptive.initialLimit, this.adaptiveCeiling(parallelism))))
      : parallelism;
    // Turns are handed out at the key's pace: its rate, or its mean call time per slot in flight.
    let pace = rate > 0 ? periodMs / rate : 0;
    if (limit > 0) pace = Math.max(pace, (state.meanMs ?? 100) / limit);
    const defer = (reason: WaitReason): PassDecision => {
      // A returning request takes no new turn from the queue (it would go behind the newcomers):
      // it asks again after one pace.
      if (turnAt > 0) return wait(reason, now + Math.max(pace, 5));
      state.queueAt = Math.max(state.queueAt, now) + pace;
      return wait(reason, state.queueAt);
    };

    if (state.queueAt > now) {
      // The queue's tail follows the requests still waiting: requests a caller brought forward
      // went before their turns, and the turns they left behind must not hold newcomers back.
      state.waiting.dropThrough(now - MINUTE_MS);
      state.queueAt = Math.min(state.queueAt, now + state.waiting.size * pace);
    }
    // A newcomer while turns are still handed out goes behind them, room or not.
    if (turnAt === 0 && pace > 0 && state.queueAt > now) {
      // Requests queueing for an adaptive key say its limit is reached as much as a full lease set does.
      if (adaptive) state.window.saturated = true;
      return defer(rate > 0 ? 'rate' : 'parallelism');
    }

    if (limit > 0) {
      state.leases.dropThrough(now);
      if (state.leases.size >= limit) {
        // The learned limit was reached in this window: the controller may raise it.
        if (adaptive) state.window.saturated = true;
        return defer('parallelism');
      }
    }
    if (rate > 0) {
      // A call counts a little past its window (5 %, at most 25 ms): it reaches the destination a
      // moment after it was let through, and that moment varies.
      state.log.dropThrough(now - periodMs - Math.min(25, periodMs * 0.05));
      if (state.log.size >= rate) return defer('rate');
    }

    const breakerUntil = state.breakerUntil ?? 0;
    if (state.breaker === 'open' && now < breakerUntil) return wait('breaker_open', breakerUntil + jitter * 250);
    if (state.breaker === 'half_open' && state.probeUntil > now) return wait('breaker_open', now + recheck);
    // A breaker past its cool-down (or whose probe's lease ran out) lets this one call through as its probe.
    const probe = state.breaker !== 'closed';
    if (probe) {
      state.breaker = 'half_open';
      state.probeLease = leaseId;
      state.probeUntil = now + leaseMs;
    }
    state.leases.dropThrough(now);
    state.leases.add(leaseId, now + leaseMs);
    if (rate > 0) state.log.add(leaseId, now);
    if (turnAt > 0) state.waiting.delete(requestId);
    return { kind: 'go', probe };
  }

  /** Outcomes of calls of one key: counters, breaker, mean call time, adaptive controller. */
  private record(key: string, outcomes: Recorded, now: number): void {
    const state = this.stateOf(key);
    const { success, failure, overload } = outcomes;
    const calls = success + failure + overload;
    this.count(state, outcomes, now);
    this.touch(key, state, now);
    if (calls === 0) return;

    const { breaker } = this.settings;
    const breakerWasClosed = state.breaker === 'closed';
    // Failures after a success in this batch start the run again; without one they extend it.
    state.consecutiveFailures = outcomes.hadSuccess ? outcomes.trailingFailures : state.consecutiveFailures + outcomes.trailingFailures;
    if (breakerWasClosed && failure + overload > 0) {
      // 0 turns a trigger off.
      if (breaker.consecutiveFailures > 0 && state.consecutiveFailures >= breaker.consecutiveFailures) {
        this.openBreaker(key, state, breaker.cooldownMs, now);
      } else if (breaker.minCalls > 0) {
        const window = this.counted(state, breaker.windowMs, now);
        const total = window.success + window.failure + window.overload;
        if (total >= breaker.minCalls && (window.failure + window.overload) / total >= breaker.failureRatio) {
          this.openBreaker(key, state, breaker.cooldownMs, now);
        }
      }
    }

    const mean = outcomes.durationSum / calls;
    state.meanMs = state.meanMs === undefined ? mean : 0.8 * state.meanMs + 0.2 * mean;
    if (state.adaptive) this.adapt(state, overload, calls, outcomes.durationSum, now);
  }

  /**
   * The adaptive controller. An overload cuts at once: ×0.9 at most once per no-load time, then -1
   * per overload, so a burst of fast 429s cannot run the limit down to nothing in one go. At the
   * window's end, latency well above the no-load level cuts too; otherwise a limit that was
   * reached grows (×1.5 in slow start, +1 after).
   */
  private adapt(state: KeyState, overloads: number, calls: number, durationSum: number, now: number): void {
    const { initialLimit, windowMs, latencyTolerance } = this.settings.adaptive;
    const window = state.window;
    let limit = state.learned ?? initialLimit;
    let slowStart = state.slowStart;
    let noLoad = state.noLoadMs;
    const start = window.start ?? now;
    window.calls += calls;
    window.durationSum += durationSum;
    window.overloads += overloads;
    if (overloads > 0) {
      if (now - state.lastCutAt >= Math.max(noLoad ?? 20, 20)) {
        limit = limit * 0.9 - (overloads - 1);
        state.lastCutAt = now;
      } else {
        limit -= overloads;
      }
      slowStart = false;
    }
    if (now - start >= windowMs) {
      const windowMean = window.durationSum / window.calls;
      // The no-load latency follows a faster window at once, and a slower one only slowly and only
      // when the window did not fill the limit: latency measured at the limit is the queue the
      // limit builds, and following it would let the limit grow into the destination's overload.
      if (noLoad === undefined || windowMean < noLoad) noLoad = windowMean;
      else if (!window.saturated && window.overloads === 0) noLoad += (windowMean - noLoad) * 0.05;
      if (window.overloads === 0) {
        if (windowMean > noLoad * latencyTolerance) {
          limit *= 0.9;
          slowStart = false;
        } else if (window.saturated) {
          limit = slowStart ? limit * 1.5 : limit + 1;
        }
      }
      state.window = { start: now, calls: 0, durationSum: 0, overloads: 0, saturated: false };
    } else {
      window.start = start;
    }
    // Redis keeps the limit as Lua prints it (14 significant digits): a limit within rounding of
    // a whole number counts as that number there, so it must here too.
    state.learned = Number(Math.max(1, Math.min(limit, this.adaptiveCeiling(state.parallelism))).toPrecision(14));
    state.slowStart = slowStart;
    state.noLoadMs = noLoad;
  }

  /** The learned limit never exceeds the key's own parallelism, nor the deployment's ceiling. */
  private adaptiveCeiling(parallelism: number): number {
    const { maxLimit } = this.settings.adaptive;
    return parallelism > 0 ? Math.min(parallelism, maxLimit) : maxLimit;
  }

  private openBreaker(key: string, state: KeyState, cooldownMs: number, now: number): void {
    state.breaker = 'open';
    state.breakerUntil = now + cooldownMs;
    state.cooldownMs = cooldownMs;
    state.probeLease = '';
    state.probeUntil = 0;
    state.consecutiveFailures = 0;
    this.restricted.add(key);
  }

  private closeBreaker(key: string, state: KeyState, now: number): void {
    state.breaker = 'closed';
    state.consecutiveFailures = 0;
    state.probeLease = '';
    state.probeUntil = 0;
    delete state.breakerUntil;
    delete state.cooldownMs;
    this.refreshRestricted(key, state, now);
  }

  private isRestricted(state: KeyState | undefined, now: number): boolean {
    return state !== undefined && (state.paused || state.breaker !== 'closed' || state.retryAfterUntil > now);
  }

  private refreshRestricted(key: string, state: KeyState, now: number): void {
    if (this.isRestricted(state, now)) this.restricted.add(key);
    else this.restricted.delete(key);
  }

  private touch(key: string, state: KeyState, now: number): void {
    this.active.set(key, now);
    state.seenAt = now;
  }

  /** Adds outcomes to the current bucket; starting a bucket drops those older than a minute before it. */
  private count(state: KeyState, { success, failure, overload }: Outcomes, now: number): void {
    if (success + failure + overload === 0) return;
    const start = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    let bucket = state.buckets.get(start);
    if (bucket === undefined) {
      for (const older of state.buckets.keys()) {
        if (older < start - MINUTE_MS) state.buckets.delete(older);
      }
      bucket = { success: 0, failure: 0, overload: 0 };
      state.buckets.set(start, bucket);
    }
    bucket.success += success;
    bucket.failure += failure;
    bucket.overload += overload;
  }

  /** Outcomes of the buckets that start within the last `windowMs` (the current one included). */
  private counted(state: KeyState, windowMs: number, now: number): Outcomes {
    const current = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const sum: Outcomes = { success: 0, failure: 0, overload: 0 };
    for (const [start, bucket] of state.buckets) {
      if (start > current || start <= now - windowMs) continue;
      sum.success += bucket.success;
      sum.failure += bucket.failure;
      sum.overload += bucket.overload;
    }
    return sum;
  }

  /** What an operator sees of one key (as the Redis gate builds it from its scripts' view). */
  private view(key: string, state: KeyState, now: number): DestinationState {
    state.leases.dropThrough(now);
    state.waiting.dropThrough(now - MINUTE_MS);
    const lastMinute = this.counted(state, MINUTE_MS, now);
    const iso = (ms: number): string => new Date(ms).toISOString();
    return {
      key,
      limits: {
        ...(state.rate > 0 ? { rate: state.rate, periodMs: state.periodMs } : {}),
        ...(state.parallelism > 0 ? { parallelism: state.parallelism } : {}),
        ...(state.adaptive ? { adaptive: true } : {}),
      },
      inFlight: state.leases.size,
      ...(state.adaptive ? { learnedLimit: Math.floor(state.learned ?? this.settings.adaptive.initialLimit) } : {}),
      breaker: state.breaker,
      ...(state.breaker === 'open' && (state.breakerUntil ?? 0) > 0 ? { breakerRetryAt: iso(state.breakerUntil ?? 0) } : {}),
      paused: state.paused,
      ...(state.retryAfterUntil > now ? { retryAfterUntil: iso(state.retryAfterUntil) } : {}),
      lastMinute: { calls: lastMinute.success + lastMinute.failure + lastMinute.overload, ...lastMinute },
      waiting: state.waiting.size,
      lastSeenAt: iso(state.seenAt),
    };
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (state === undefined) {
      state = {
        rate: 0,
        periodMs: 0,
        parallelism: 0,
        adaptive: false,
        queueAt: 0,
        breaker: 'closed',
        probeUntil: 0,
        consecutiveFailures: 0,
        paused: false,
        retryAfterUntil: 0,
        slowStart: true,
        lastCutAt: 0,
        window: { calls: 0, durationSum: 0, overloads: 0, saturated: false },
        seenAt: 0,
        leases: new ScoredSet(),
        log: new ScoredSet(),
        waiting: new ScoredSet(),
        buckets: new Map(),
      };
      this.keys.set(key, state);
    }
    return state;
  }
}

import type { Redis } from 'ioredis';
import {
  DEFAULT_GATE_SETTINGS,
  DEFAULT_PERIOD_MS,
  type BreakerState,
  type CallOutcome,
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
import { PASS_N, PAUSE_1, RELEASE_N, SYNC_N, VIEW_N } from './scripts/destination-scripts.lua';
import { defineScripts, type ScriptRunner } from './scripts/define';

export interface RedisDestinationGateOptions {
  /** Key prefix (default `parc`); the gate's keys are `<prefix>:{dest}:…`. */
  readonly prefix?: string;
  readonly settings?: GateSettings;
  readonly now?: () => number;
  /** 0..1, spreads the turns of requests that wait for the same thing (tests fix it). */
  readonly random?: () => number;
}

const OUTCOME_CODES: Readonly<Record<CallOutcome, string>> = { success: 's', failure: 'f', overload: 'o' };
const BREAKER_NAMES: Readonly<Record<string, BreakerState>> = { c: 'closed', o: 'open', h: 'half_open' };

/** The destination gate in the proxy's Redis (layout and logic: scripts/destination-scripts.lua.ts). */
export class RedisDestinationGate implements DestinationGate {
  private readonly prefix: string;
  private readonly settings: GateSettings;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly scripts: ScriptRunner<'pass' | 'release' | 'sync' | 'pause' | 'view'>;

  constructor(redis: Redis, options: RedisDestinationGateOptions = {}) {
    this.prefix = `${options.prefix ?? 'parc'}:{dest}`;
    this.settings = options.settings ?? DEFAULT_GATE_SETTINGS;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.scripts = defineScripts(redis, { pass: PASS_N, release: RELEASE_N, sync: SYNC_N, pause: PAUSE_1, view: VIEW_N });
  }

  async pass(requests: readonly PassRequest[]): Promise<PassDecision[]> {
    if (requests.length === 0) return [];
    const args = requests.flatMap((r) => [
      r.key,
      r.requestId,
      r.leaseId,
      r.leaseMs,
      r.limits.rate ?? 0,
      r.limits.periodMs ?? DEFAULT_PERIOD_MS,
      r.limits.parallelism ?? 0,
      r.limits.adaptive === true ? 1 : 0,
      r.turnAtMs ?? 0,
      r.waits ?? 0,
      this.random(),
    ]);
    const flat = (await this.scripts.pass([], [...this.common(), ...args])) as (string | number)[];
    return requests.map((_, index) => {
      const kind = String(flat[2 * index]);
      const value = Number(flat[2 * index + 1]);
      return kind === 'go' ? { kind: 'go', probe: value === 1 } : { kind: 'wait', reason: kind as WaitReason, turnAtMs: value };
    });
  }

  async release(reports: readonly CallReport[]): Promise<void> {
    if (reports.length === 0) return;
    const args = reports.flatMap((r) => [
      r.key,
      r.leaseId ?? '',
      r.outcome === undefined ? '' : OUTCOME_CODES[r.outcome],
      Math.round(r.durationMs ?? 0),
      r.probe === true ? 1 : 0,
      r.retryAfterMs ?? 0,
      r.startedAtMs ?? 0,
    ]);
    await this.scripts.release([], [...this.common(), ...args]);
  }

  async sync(tallies: readonly OutcomeTally[]): Promise<Restrictions> {
    const args = tallies.flatMap((t) => [t.key, t.success, t.failure, t.overload, t.trailingFailures, t.hadSuccess ? 1 : 0, Math.round(t.durationMsSum)]);
    const keys = (await this.scripts.sync([], [...this.common(), ...args])) as string[];
    return { keys: new Set(keys) };
  }

  async setPaused(key: string, paused: boolean): Promise<DestinationState> {
    const view = (await this.scripts.pause([], [...this.common(), key, paused ? 1 : 0])) as unknown[];
    return this.state(view);
  }

  async list(): Promise<DestinationState[]> {
    const views = (await this.scripts.view([], [...this.common(), ''])) as unknown[][];
    return views.map((view) => this.state(view));
  }

  async get(key: string): Promise<DestinationState | undefined> {
    if (key === '') return undefined;
    const views = (await this.scripts.view([], [...this.common(), key])) as unknown[][];
    return views.length === 0 ? undefined : this.state(views[0] as unknown[]);
  }

  private common(): (string | number)[] {
    const { breaker, adaptive, recheckMs } = this.settings;
    return [
      this.prefix,
      this.now(),
      breaker.consecutiveFailures,
      breaker.minCalls,
      breaker.windowMs,
      breaker.failureRatio,
      breaker.cooldownMs,
      breaker.maxCooldownMs,
      adaptive.initialLimit,
      adaptive.maxLimit,
      adaptive.windowMs,
      adaptive.latencyTolerance,
      recheckMs,
    ];
  }

  /** The flat view of scripts/destination-scripts.lua.ts `view()`. */
  private state(view: readonly unknown[]): DestinationState {
    const [key, rate, period, parallelism, adaptive, learned, breaker, breakerUntil, paused, retryAfter, seen, inFlight, waiting, success, failure, overload] =
      view.map(String);
    const nowMs = this.now();
    const positive = (value: string | undefined): number | undefined => (Number(value) > 0 ? Number(value) : undefined);
    const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
    const open = breaker === 'o';
    const raUntil = positive(retryAfter);
    return {
      key: key as string,
      limits: {
        ...(positive(rate) === undefined ? {} : { rate: Number(rate), periodMs: Number(period) }),
        ...(positive(parallelism) === undefined ? {} : { parallelism: Number(parallelism) }),
        ...(adaptive === '1' ? { adaptive: true } : {}),
      },
      inFlight: Number(inFlight),
      ...(adaptive === '1' ? { learnedLimit: Math.floor(Number(learned === '' ? this.settings.adaptive.initialLimit : learned)) } : {}),
      breaker: BREAKER_NAMES[breaker as string] ?? 'closed',
      ...(open ? { breakerRetryAt: iso(positive(breakerUntil)) } : {}),
      paused: paused === '1',
      ...(raUntil !== undefined && raUntil > nowMs ? { retryAfterUntil: iso(raUntil) } : {}),
      lastMinute: {
        calls: Number(success) + Number(failure) + Number(overload),
        success: Number(success),
        failure: Number(failure),
        overload: Number(overload),
      },
      waiting: Number(waiting),
      lastSeenAt: iso(Number(seen)) as string,
    };
  }
}

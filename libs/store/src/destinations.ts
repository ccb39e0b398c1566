/**
 * The destination gate: flow-control limits, circuit breakers, pause and adaptive concurrency
 * per destination key, shared by every caller of every Parc (docs/destinations.md).
 */

/** Limits of one key; an absent field is unlimited. */
export interface FlowLimits {
  /** Calls started in any window of `periodMs`. */
  readonly rate?: number;
  /** The rate's window; default {@link DEFAULT_PERIOD_MS}. */
  readonly periodMs?: number;
  /** Calls in flight at once. */
  readonly parallelism?: number;
  /** Learn the calls in flight the destination takes (at most `parallelism` when set). */
  readonly adaptive?: boolean;
}

export const DEFAULT_PERIOD_MS = 1_000;

/** One request asking to be called now. */
export interface PassRequest {
  readonly key: string;
  /** The request's id: a request told to wait is counted as waiting until it comes back. */
  readonly requestId: string;
  readonly limits: FlowLimits;
  /** Names the lease the call holds while in flight (unique per attempt). */
  readonly leaseId: string;
  /** How long the lease lives if never released (the call's timeout plus a margin). */
  readonly leaseMs: number;
  /** The turn this request was given when it last had to wait: it goes ahead of newcomers. */
  readonly turnAtMs?: number;
  /** How often it has waited already: a paused key's requests ask again less often each time. */
  readonly waits?: number;
}

/** Why a request waits. */
export const WAIT_REASONS = ['rate', 'parallelism', 'paused', 'breaker_open', 'retry_after'] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];

export type PassDecision =
  | { readonly kind: 'go'; /** The call is the breaker's probe: its outcome opens or closes it. */ readonly probe: boolean }
  | { readonly kind: 'wait'; readonly reason: WaitReason; /** When to ask again (epoch ms): the request's turn. */ readonly turnAtMs: number };

/** How a call went, as the breaker and the adaptive controller see it. */
export const CALL_OUTCOMES = ['success', 'failure', 'overload'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** One finished call, or a lease given back for a call that never happened (no `outcome`). */
export interface CallReport {
  readonly key: string;
  readonly outcome?: CallOutcome;
  readonly durationMs?: number;
  /** The lease to give back (calls that went through `pass`). */
  readonly leaseId?: string;
  readonly probe?: boolean;
  /** The destination's Retry-After on 429/503: the key pauses until then. */
  readonly retryAfterMs?: number;
  /** When the call really started (epoch ms): its place in the rate's window. */
  readonly startedAtMs?: number;
}

/** Outcomes of one key since the last sync (calls that did not go through `pass`). */
export interface OutcomeTally {
  readonly key: string;
  readonly success: number;
  readonly failure: number;
  readonly overload: number;
  /** Failures after the last success in this tally (all of them when there was no success). */
  readonly trailingFailures: number;
  readonly hadSuccess: boolean;
  readonly durationMsSum: number;
}

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** What an operator sees of one key. */
export interface DestinationState {
  readonly key: string;
  readonly limits: FlowLimits;
  readonly inFlight: number;
  /** The adaptive controller's limit (absent unless adaptive). */
  readonly learnedLimit?: number;
  readonly breaker: BreakerState;
  /** When an open breaker lets its probe through (ISO). */
  readonly breakerRetryAt?: string;
  readonly paused: boolean;
  /** A Retry-After pause in force until (ISO). */
  readonly retryAfterUntil?: string;
  /** Calls and outcomes in the last minute. */
  readonly lastMinute: { readonly calls: number; readonly success: number; readonly failure: number; readonly overload: number };
  /** Requests that were told to wait and whose turn has not come yet (an estimate: a turn handed out is counted until it is due). */
  readonly waiting: number;
  /** Last activity (ISO). */
  readonly lastSeenAt: string;
}

/** Keys whose requests must go through `pass` whatever their limits. */
export interface Restrictions {
  readonly keys: ReadonlySet<string>;
}

export interface DestinationGate {
  /** One decision per request, in order; one round trip. */
  pass(requests: readonly PassRequest[]): Promise<PassDecision[]>;
  /** Gives leases back and records outcomes of calls that went through `pass`; one round trip. */
  release(reports: readonly CallReport[]): Promise<void>;
  /** Records outcomes of the other calls, and returns the keys that are restricted now. */
  sync(tallies: readonly OutcomeTally[]): Promise<Restrictions>;
  /** Pauses or resumes a key; resolves with its state. */
  setPaused(key: string, paused: boolean): Promise<DestinationState>;
  /** Every key active in the last hour, most recent first. */
  list(): Promise<DestinationState[]>;
  get(key: string): Promise<DestinationState | undefined>;
}

/** Deployment settings of the gate (docs/destinations.md; env names in docs/configuration.md). */
export interface GateSettings {
  readonly breaker: {
    /** Failures in a row that open the breaker (0: never on this account). */
    readonly consecutiveFailures: number;
    /** Calls in the window before the failure ratio counts (0: the ratio never opens it). */
    readonly minCalls: number;
    readonly windowMs: number;
    readonly failureRatio: number;
    /** First cool-down; it doubles after a failed probe, up to maxCooldownMs. */
    readonly cooldownMs: number;
    readonly maxCooldownMs: number;
  };
  readonly adaptive: {
    /** The limit a key starts with. */
    readonly initialLimit: number;
    /** The ceiling of a key without `parallelism`. */
    readonly maxLimit: number;
    /** How often the limit is reconsidered. */
    readonly windowMs: number;
    /** Latency above this multiple of the no-load latency counts as congestion. */
    readonly latencyTolerance: number;
  };
  /** How long a paused or breaker-held request waits before asking again, at first (it doubles per wait, up to 10×). */
  readonly recheckMs: number;
}

export const DEFAULT_GATE_SETTINGS: GateSettings = Object.freeze({
  // Off by default for now (0 turns a trigger off): on, it held back the deliberate failures and
  // retries of the end-to-end scenarios, where one origin answers a large share of 5xx by design.
  breaker: Object.freeze({ consecutiveFailures: 0, minCalls: 0, windowMs: 10_000, failureRatio: 0.5, cooldownMs: 5_000, maxCooldownMs: 60_000 }),
  // Latency 1.5× the no-load level means a queue half the limit deep at the destination: back off.
  adaptive: Object.freeze({ initialLimit: 4, maxLimit: 256, windowMs: 500, latencyTolerance: 1.5 }),
  recheckMs: 1_000,
});

import { flowKeyOf, type AttemptRecord, type Envelope } from '@parc/envelope';
import type { QueueLogger } from '@parc/queue';
import { registerOnce, type CloseStep } from '@parc/service-kit';
import type { CallOutcome, CallReport, DestinationGate, FlowLimits, OutcomeTally, WaitReason } from '@parc/store';
import { Counter, Gauge, type Registry } from 'prom-client';
import { startTicker } from '../common/ticker';

/** The operator's limits (docs/destinations.md). */
export interface DestinationPolicy {
  /** Limits of requests that carry no flowControl (empty: unlimited). */
  readonly defaults: FlowLimits;
  /** Limits per origin (`https://api.example.com`); a user cannot raise them. */
  readonly perOrigin: ReadonlyMap<string, FlowLimits>;
}

export const UNLIMITED_POLICY: DestinationPolicy = Object.freeze({ defaults: Object.freeze({}), perOrigin: new Map() });

/** A request let through, with what its call gives back to the gate. */
export interface Admitted<T> {
  readonly item: T;
  readonly key: string;
  /** Set when the call went through the gate: its lease is given back when it ends. */
  readonly leaseId?: string;
  readonly probe: boolean;
}

/** A request that waits for its key's capacity (no attempt used). */
export interface Waiting<T> {
  readonly item: T;
  readonly reason: WaitReason;
  readonly turnAtMs: number;
}

export interface DestinationControlOptions {
  readonly gate: DestinationGate;
  readonly policy: DestinationPolicy;
  readonly logger: QueueLogger;
  readonly registry: Registry;
  /** How often outcomes of ungated calls are sent and restrictions fetched; default 250 ms. */
  readonly syncIntervalMs?: number;
}

/** A lease outlives the call's timeout by this much before the gate takes it back by itself. */
const LEASE_MARGIN_MS = 5_000;

const hasLimits = (limits: FlowLimits): boolean => limits.rate !== undefined || limits.parallelism !== undefined || limits.adaptive === true;

/** Calls per ms: the lower, the stricter. */
const pace = (limits: FlowLimits): number => (limits.rate === undefined ? Infinity : limits.rate / (limits.periodMs ?? 1_000));

/** The stricter of two sets of limits, field by field (the rate with its own period). */
export function stricter(a: FlowLimits, b: FlowLimits | undefined): FlowLimits {
  if (b === undefined) return a;
  const rateOf = pace(a) <= pace(b) ? a : b;
  const parallelism = a.parallelism === undefined ? b.parallelism : b.parallelism === undefined ? a.parallelism : Math.min(a.parallelism, b.parallelism);
  return {
    ...(rateOf.rate === undefined ? {} : { rate: rateOf.rate, ...(rateOf.periodMs === undefined ? {} : { periodMs: rateOf.periodMs }) }),
    ...(parallelism === undefined ? {} : { parallelism }),
    ...(a.adaptive === true || b.adaptive === true ? { adaptive: true } : {}),
  };
}

/**
 * How a call went, as the breaker and the adaptive controller see it: 429, 503, timeouts and
 * broken connections say "too much"; other 5xx and failures to connect say "down"; a call that
 * never left (blocked by the egress policy, unsendable) says nothing about the destination.
 */
export function callOutcome(record: Pick<AttemptRecord, 'status' | 'error'>): CallOutcome | undefined {
  const code = record.error?.code;
  if (code === 'destination_blocked' || code === 'invalid_request') return undefined;
  if (record.status === 429 || record.status === 503) return 'overload';
  if (code === 'timeout' || code === 'connect_timeout' || code === 'connection_reset') return 'overload';
  if (code !== undefined && code !== 'response_too_large') return 'failure';
  if (record.status !== undefined && record.status >= 500) return 'failure';
  return 'success';
}

interface MutableTally {
  success: number;
  failure: number;
  overload: number;
  trailingFailures: number;
  hadSuccess: boolean;
  durationMsSum: number;
}

/**
 * The caller's side of the destination gate (docs/destinations.md): which requests need the gate
 * (a key with limits, or one that is restricted now: paused, breaker not closed, Retry-After),
 * one `pass` per batch for those, leases given back as calls end (one release in flight, the rest
 * merged into the next), and the outcomes of every other call tallied and sent with the periodic
 * `sync` that also brings back which keys are restricted.
 */
export class DestinationControl {
  private restricted: ReadonlySet<string> = new Set();
  private tallies = new Map<string, MutableTally>();
  private reports: CallReport[] = [];
  private releasing: Promise<void> | undefined;
  private serial = 0;
  private readonly instance = Math.random().toString(36).slice(2, 10);
  private readonly waits: Counter<'reason'>;
  private readonly gatedCalls: Counter;
  private readonly restrictedGauge: Gauge;

  constructor(private readonly options: DestinationControlOptions) {
    const { registry } = options;
    this.waits = registerOnce(registry, 'parc_caller_destination_waits_total', (register) => new Counter({
      name: 'parc_caller_destination_waits_total',
      help: "Requests put back to wait for their destination key (no attempt used), by reason: rate, parallelism, paused, breaker_open, retry_after.",
      labelNames: ['reason'],
      registers: [register],
    }));
    this.gatedCalls = registerOnce(registry, 'parc_caller_destination_gated_calls_total', (register) => new Counter({
      name: 'parc_caller_destination_gated_calls_total',
      help: 'Calls that went through the destination gate (keys with limits, or restricted).',
      registers: [register],
    }));
    this.restrictedGauge = registerOnce(registry, 'parc_caller_destinations_restricted', (register) => new Gauge({
      name: 'parc_caller_destinations_restricted',
      help: 'Destination keys restricted now (paused, breaker open or half-open, Retry-After in force), as this caller last heard.',
      registers: [register],
    }));
  }

  /** The key and the limits that apply to a request. */
  limitsOf(envelope: Envelope): { key: string; limits: FlowLimits } {
    const flow = envelope.flowControl;
    const key = flowKeyOf(envelope.request.url, flow);
    if (flow?.key !== undefined) return { key, limits: flow };
    const own: FlowLimits = flow ?? this.options.policy.defaults;
    return { key, limits: stricter(own, this.options.policy.perOrigin.get(key)) };
  }

  /** Splits requests into those to call now and those to put back; one gate round trip at most. */
  async admit<T extends { readonly envelope: Envelope }>(items: readonly T[]): Promise<{ go: Admitted<T>[]; waiting: Waiting<T>[] }> {
    const go: Admitted<T>[] = [];
    const waiting: Waiting<T>[] = [];
    const gated: { item: T; key: string; limits: FlowLimits }[] = [];
    for (const item of items) {
      const { key, limits } = this.limitsOf(item.envelope);
      if (hasLimits(limits) || this.restricted.has(key) || item.envelope.flowWait !== undefined) gated.push({ item, key, limits });
      else go.push({ item, key, probe: false });
    }
    if (gated.length === 0) return { go, waiting };
    const leases = gated.map(() => `${this.instance}:${++this.serial}`);
    const decisions = await this.options.gate.pass(
      gated.map(({ item: { envelope }, key, limits }, index) => ({
        key,
        requestId: envelope.id,
        leaseId: leases[index] as string,
        leaseMs: envelope.request.timeoutMs + LEASE_MARGIN_MS,
        limits,
        ...(envelope.flowWait === undefined ? {} : { turnAtMs: envelope.flowWait.turnAtMs, waits: envelope.flowWait.waits }),
      })),
    );
    gated.forEach(({ item, key }, index) => {
      const decision = decisions[index];
      if (decision === undefined) throw new Error(`the destination gate answered ${decisions.length} of ${gated.length} requests`);
      if (decision.kind === 'go') {
        go.push({ item, key, leaseId: leases[index] as string, probe: decision.probe });
        this.gatedCalls.inc();
      } else {
        waiting.push({ item, reason: decision.reason, turnAtMs: decision.turnAtMs });
        this.waits.inc({ reason: decision.reason });
      }
    });
    return { go, waiting };
  }

  /** A call ended (`record`), or never happened (`undefined`: cancelled, or cut short by shutdown). */
  finished(call: Admitted<unknown>, record: AttemptRecord | undefined): void {
    const outcome = record === undefined ? undefined : callOutcome(record);
    if (call.leaseId !== undefined) {
      this.reports.push({
        key: call.key,
        leaseId: call.leaseId,
        ...(outcome === undefined || record === undefined ? {} : { outcome, durationMs: record.durationMs, startedAtMs: Date.parse(record.startedAt) }),
        ...(call.probe ? { probe: true } : {}),
        ...(record?.retryAfterMs !== undefined && outcome === 'overload' ? { retryAfterMs: record.retryAfterMs } : {}),
      } as CallReport);
      this.releasing ??= this.releaseAll();
      return;
    }
    if (outcome === undefined || record === undefined) return;
    let tally = this.tallies.get(call.key);
    if (tally === undefined) this.tallies.set(call.key, (tally = { success: 0, failure: 0, overload: 0, trailingFailures: 0, hadSuccess: false, durationMsSum: 0 }));
    tally[outcome]++;
    tally.durationMsSum += record.durationMs;
    if (outcome === 'success') {
      tally.hadSuccess = true;
      tally.trailingFailures = 0;
    } else {
      tally.trailingFailures++;
    }
  }

  /** The periodic sync; closing it sends what is left and gives back every lease. */
  start(): CloseStep {
    const ticker = startTicker({
      name: 'destination sync',
      intervalMs: this.options.syncIntervalMs ?? 250,
      logger: this.options.logger,
      tick: async () => {
        await this.sync();
        return false;
      },
    });
    return {
      name: ticker.name,
      close: async () => {
        await ticker.close();
        await this.releasing;
        await this.sync().catch((error: unknown) => this.options.logger.warn({ err: error }, 'last destination sync failed; those outcomes are not counted'));
      },
    };
  }

  private async sync(): Promise<void> {
    const sent = this.tallies;
    this.tallies = new Map();
    try {
      const { keys } = await this.options.gate.sync([...sent].map(([key, tally]): OutcomeTally => ({ key, ...tally })));
      this.restricted = keys;
      this.restrictedGauge.set(keys.size);
    } catch (error) {
      // Kept for the next sync: outcomes are counted late rather than lost.
      for (const [key, tally] of sent) this.merge(key, tally);
      throw error;
    }
  }

  private merge(key: string, older: MutableTally): void {
    const newer = this.tallies.get(key);
    if (newer === undefined) {
      this.tallies.set(key, older);
      return;
    }
    newer.success += older.success;
    newer.failure += older.failure;
    newer.overload += older.overload;
    newer.durationMsSum += older.durationMsSum;
    if (!newer.hadSuccess) newer.trailingFailures += older.trailingFailures;
    newer.hadSuccess ||= older.hadSuccess;
  }

  /** One release in flight; reports that come meanwhile go with the next. A lease not given back expires by itself. */
  private async releaseAll(): Promise<void> {
    try {
      while (this.reports.length > 0) {
        const batch = this.reports;
        this.reports = [];
        await this.options.gate.release(batch).catch((error: unknown) => {
          this.options.logger.warn({ err: error, leases: batch.length }, 'could not give leases back to the destination gate; they expire by themselves');
        });
      }
    } finally {
      this.releasing = undefined;
    }
  }
}

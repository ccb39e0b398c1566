import { deadlineAtMs, flowKeyOf, type AttemptRecord, type Envelope } from '@parc/envelope';
import type { DelayedQueue, QueueLogger } from '@parc/queue';
import { registerOnce, type CloseStep } from '@parc/service-kit';
import type { CallOutcome, CallReport, DestinationGate, FlowLimits, OutcomeTally, WaitReason } from '@parc/store';
import { Counter, Gauge, type Registry } from 'prom-client';
import { startTicker } from '../common/ticker';
import { watchBreakers } from './breaker-gauge';
import { WaitingRoom, type Leave, type RoomAsk, type RoomDecision, type ToHold } from './waiting-room';

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
  readonly key: string;
  readonly limits: FlowLimits;
  readonly reason: WaitReason;
  readonly turnAtMs: number;
}

/** How the caller's waiting room is sized, and where requests that do not fit wait. */
export interface WaitingRoomSettings {
  /** The Parc's delayed set: the room brings requests of a moving key forward from it. */
  readonly delayed: DelayedQueue;
  /** Batches that may hold waiting requests at once. */
  readonly maxBatches: number;
  /** Waiting requests held at once. */
  readonly maxRequests: number;
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
  private readonly heldGauge: Gauge;
  private room: WaitingRoom<unknown> | undefined;
  private readonly unwatchBreakers: () => void;

  constructor(private readonly options: DestinationControlOptions) {
    const { registry } = options;
    this.unwatchBreakers = watchBreakers(registry, { gate: options.gate, keys: [...options.policy.perOrigin.keys()] });
    this.waits = registerOnce(registry, 'parc_caller_destination_waits_total', (register) => new Counter({
      name: 'parc_caller_destination_waits_total',
      help: "Answers 'wait' from the destination gate (no attempt used; a request held in the waiting room may be told several times), by reason: rate, parallelism, paused, breaker_open, retry_after.",
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
    this.heldGauge = registerOnce(registry, 'parc_caller_destination_held', (register) => new Gauge({
      name: 'parc_caller_destination_held',
      help: "Requests held in this caller's waiting room for their destination key's capacity (their batches unacknowledged).",
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

  /**
   * Splits requests into those to call now and those that wait; one gate round trip at most.
   * Requests back from the delayed set keep their place in line while the waiting room can take
   * them; when it cannot, they queue afresh, so a full room never sends them round every 5 ms.
   */
  async admit<T extends { readonly envelope: Envelope }>(items: readonly T[]): Promise<{ go: Admitted<T>[]; waiting: Waiting<T>[] }> {
    const go: Admitted<T>[] = [];
    const waiting: Waiting<T>[] = [];
    const gated: { item: T; ask: RoomAsk }[] = [];
    const keepPlace = this.room === undefined || this.room.hasRoom();
    for (const item of items) {
      const { envelope } = item;
      const { key, limits } = this.limitsOf(envelope);
      if (envelope.flowWait !== undefined) this.room?.arrived(key, envelope.id);
      if (!(hasLimits(limits) || this.restricted.has(key) || envelope.flowWait !== undefined)) {
        go.push({ item, key, probe: false });
        continue;
      }
      const flowWait = keepPlace ? envelope.flowWait : undefined;
      gated.push({ item, ask: { key, requestId: envelope.id, limits, leaseMs: envelope.request.timeoutMs + LEASE_MARGIN_MS, turnAtMs: flowWait?.turnAtMs ?? 0, waits: envelope.flowWait?.waits ?? 0 } });
    }
    if (gated.length === 0) return { go, waiting };
    const decisions = await this.pass(gated.map(({ ask }) => ask));
    gated.forEach(({ item, ask: { key, limits } }, index) => {
      const decision = decisions[index] as RoomDecision;
      if (decision.kind === 'go') go.push({ item, key, leaseId: decision.leaseId, probe: decision.probe });
      else waiting.push({ item, key, limits, reason: decision.reason, turnAtMs: decision.turnAtMs });
    });
    return { go, waiting };
  }

  /**
   * Seats what it can of one batch's waiting requests in the waiting room (docs/destinations.md);
   * the rest go to the delayed set. Aborting `signal` (shutdown) makes the seated ones leave as closing.
   */
  hold<T extends { readonly envelope: Envelope }>(waiting: readonly Waiting<T>[], signal: AbortSignal): { seated: Promise<Leave<T>>[]; refused: Waiting<T>[] } {
    const room = this.room as WaitingRoom<T> | undefined;
    if (room === undefined || waiting.length === 0) return { seated: [], refused: [...waiting] };
    const byHold = new Map<ToHold<T>, Waiting<T>>();
    const holds = waiting.map((entry) => {
      const { envelope } = entry.item;
      const hold: ToHold<T> = {
        item: entry.item,
        key: entry.key,
        requestId: envelope.id,
        limits: entry.limits,
        leaseMs: envelope.request.timeoutMs + LEASE_MARGIN_MS,
        reason: entry.reason,
        turnAtMs: entry.turnAtMs,
        waits: (envelope.flowWait?.waits ?? 0) + 1,
        deadlineMs: deadlineAtMs(envelope),
      };
      byHold.set(hold, entry);
      return hold;
    });
    const { seated, refused } = room.hold(holds, signal);
    this.heldGauge.set(room.size);
    return { seated, refused: refused.map((hold) => byHold.get(hold) as Waiting<T>) };
  }

  /** A request went to the delayed set to wait: the room may bring it forward when its key moves. */
  putBack(waiting: Waiting<{ readonly envelope: Envelope }>): void {
    if (waiting.reason === 'rate' || waiting.reason === 'parallelism') this.room?.remember(waiting.key, waiting.item.envelope.id);
  }

  /** One gate round trip; each request that may go gets a lease id of its own. */
  private async pass(asks: readonly RoomAsk[]): Promise<RoomDecision[]> {
    const leases = asks.map(() => `${this.instance}:${++this.serial}`);
    const decisions = await this.options.gate.pass(
      asks.map((ask, index) => ({
        key: ask.key,
        requestId: ask.requestId,
        leaseId: leases[index] as string,
        leaseMs: ask.leaseMs,
        limits: ask.limits,
        ...(ask.turnAtMs > 0 ? { turnAtMs: ask.turnAtMs } : {}),
        ...(ask.waits > 0 ? { waits: ask.waits } : {}),
      })),
    );
    if (decisions.length !== asks.length) throw new Error(`the destination gate answered ${decisions.length} of ${asks.length} requests`);
    this.heldGauge.set(this.room?.size ?? 0);
    return decisions.map((decision, index): RoomDecision => {
      if (decision.kind === 'go') {
        this.gatedCalls.inc();
        return { kind: 'go', leaseId: leases[index] as string, probe: decision.probe };
      }
      this.waits.inc({ reason: decision.reason });
      return decision;
    });
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

  /**
   * The periodic sync, and the waiting room when `room` is given; closing empties the room (its
   * requests' batches are redelivered), sends what is left and gives back every lease.
   */
  start(room?: WaitingRoomSettings): CloseStep {
    if (room !== undefined) {
      this.room = new WaitingRoom<unknown>({ ...room, pass: (asks) => this.pass(asks), logger: this.options.logger });
    }
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
        this.unwatchBreakers();
        this.room?.close();
        this.heldGauge.set(0);
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
        // The slots are free at the gate now: wake the requests of those keys held here.
        const freed = new Map<string, number>();
        for (const { key } of batch) freed.set(key, (freed.get(key) ?? 0) + 1);
        for (const [key, count] of freed) this.room?.released(key, count);
      }
    } finally {
      this.releasing = undefined;
    }
  }
}

import type { DelayedQueue, QueueLogger } from '@parc/queue';
import type { FlowLimits, WaitReason } from '@parc/store';

/** What the gate said to one request asked again from the room. */
export type RoomDecision = { readonly kind: 'go'; readonly leaseId: string; readonly probe: boolean } | { readonly kind: 'wait'; readonly reason: WaitReason; readonly turnAtMs: number };

/** One request the room asks the gate about again. */
export interface RoomAsk {
  readonly key: string;
  readonly requestId: string;
  readonly limits: FlowLimits;
  readonly leaseMs: number;
  readonly turnAtMs: number;
  readonly waits: number;
}

/** How a held request leaves the room. */
export type Leave<T> =
  | { readonly kind: 'go'; readonly item: T; readonly key: string; readonly leaseId: string; readonly probe: boolean }
  /** It has to wait longer than the room holds anyone (paused, breaker open): to the delayed set. */
  | { readonly kind: 'wait'; readonly item: T; readonly reason: WaitReason; readonly turnAtMs: number }
  /** Its deadline passed in the room. */
  | { readonly kind: 'late'; readonly item: T }
  /** The caller is closing: the request is neither called nor put back (its batch is redelivered). */
  | { readonly kind: 'closing'; readonly item: T };

/** A request to hold: the gate told it to wait. */
export interface ToHold<T> {
  readonly item: T;
  readonly key: string;
  readonly requestId: string;
  readonly limits: FlowLimits;
  readonly leaseMs: number;
  readonly reason: WaitReason;
  readonly turnAtMs: number;
  readonly waits: number;
  /** Epoch ms; absent: none. */
  readonly deadlineMs: number | undefined;
}

export interface WaitingRoomOptions {
  /** One gate round trip for requests asked again. */
  readonly pass: (asks: readonly RoomAsk[]) => Promise<RoomDecision[]>;
  /** Where requests that did not fit wait; the room brings them forward as it empties. */
  readonly delayed?: DelayedQueue;
  readonly logger: QueueLogger;
  /** Batches that may hold requests at once (the rest of the caller's batches stay free for other keys). */
  readonly maxBatches: number;
  /** Requests held at most. */
  readonly maxRequests: number;
  readonly now?: () => number;
}

/** A held request waits at most this long for its next question to the gate when nothing wakes it sooner. */
const RECHECK_MS = 100;
/** Requests of a key waiting for a turn further off than this leave the room for the delayed set. */
const HOLD_HORIZON_MS = 2_000;
/** Requests put into the delayed set that the room remembers per caller, to bring them forward. */
const MAX_REMEMBERED = 100_000;
/**
 * A request brought forward from the delayed set counts as on its way until it reaches this
 * caller, or for this long at most (another caller may have fetched it). The way back through the
 * promoter, `due` and `ready` takes a few hundred ms.
 */
const ON_THE_WAY_MS = 3_000;
/** A key's pace is judged on the leases this caller gave back over this window. */
const PACE_WINDOW_MS = 2_000;
/** A moving key keeps at least this many requests seated or on their way, whatever its pace. */
const MIN_STOCK = 16;
/** A key's stock doubles at most this often (a round trip through the delayed set takes longer). */
const STOCK_GROWTH_MS = 500;

/** The seats of one batch; the abort listener goes when the last one leaves. */
interface BatchSeats {
  open: number;
  detach: () => void;
}

interface Seat<T> {
  readonly hold: ToHold<T>;
  readonly batch: BatchSeats;
  turnAtMs: number;
  waits: number;
  readonly leave: (how: Leave<T>) => void;
}

interface Line<T> {
  readonly seats: Seat<T>[];
  /** How many of the first seats the next round asks about. */
  budget: number;
  /** When this key's next round is due (epoch ms). */
  dueAtMs: number;
  /** Ids this caller put into the delayed set for this key, oldest turn first. */
  readonly remembered: string[];
  /** Requests brought forward and not back yet: id → when (epoch ms), oldest first. */
  readonly onTheWay: Map<string, number>;
  /** Leases of this key this caller gave back recently: [at ms, count]; the key's pace here. */
  readonly returned: [number, number][];
  /**
   * Requests to keep seated or on their way at least: doubled each time a lease comes back and
   * no seat of the key is left to take it while some wait in the delayed set (the room ran dry).
   */
  stock: number;
  /** When `stock` last doubled: at most once per {@link STOCK_GROWTH_MS}. */
  stockGrewMs: number;
  /** When a seat of this key last went (epoch ms): only a moving key brings requests forward. */
  lastGoMs: number;
}

const total = (entries: readonly (readonly [number, number])[]): number => entries.reduce((sum, [, count]) => sum + count, 0);

/** Drops the [at ms, count] entries from before `bound` (they are in time order). */
function dropBefore(entries: [number, number][], bound: number): void {
  while (entries.length > 0 && (entries[0] as [number, number])[0] < bound) entries.shift();
}

const keepsWaiting = (reason: WaitReason): boolean => reason === 'rate' || reason === 'parallelism';

/**
 * The caller's waiting room (docs/destinations.md, "How a caller uses it"): requests the gate
 * told to wait for their key's rate or parallelism stay here, in their unacknowledged batch,
 * instead of going round the delayed set, Kafka and `ready` again. A lease this caller gives back
 * wakes its key at once; otherwise a key is asked about again at its turn, at most every 100 ms.
 * One gate round trip at a time serves every key. When requests of a key are in the delayed set
 * because the room was full, the room brings them forward as it empties, so a key's pace is set
 * by what the destination takes, not by the turns handed out when the batch arrived.
 *
 * Nothing is lost by holding: the batch is acknowledged only after each of its requests has been
 * called, ended or put into the delayed set, and a crash redelivers it.
 */
export class WaitingRoom<T> {
  private readonly lines = new Map<string, Line<T>>();
  private batches = 0;
  private seated = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: WaitingRoomOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.seated;
  }

  /** Whether a new batch may hold requests now. */
  hasRoom(): boolean {
    return !this.closed && this.batches < this.options.maxBatches && this.seated < this.options.maxRequests;
  }

  /**
   * Seats the requests of one batch that can wait here; returns how each will leave, and the
   * others (to the delayed set). Aborting `signal` makes every seat of the batch leave as closing.
   */
  hold(requests: readonly ToHold<T>[], signal: AbortSignal): { seated: Promise<Leave<T>>[]; refused: ToHold<T>[] } {
    const refused: ToHold<T>[] = [];
    const seated: Promise<Leave<T>>[] = [];
    if (!this.hasRoom() || signal.aborted) return { seated, refused: [...requests] };
    const mine: Seat<T>[] = [];
    const onAbort = (): void => this.evict(mine, 'closing');
    const batch: BatchSeats = { open: 0, detach: () => signal.removeEventListener('abort', onAbort) };
    const nowMs = this.now();
    for (const hold of requests) {
      if (this.seated >= this.options.maxRequests || !(keepsWaiting(hold.reason) || hold.turnAtMs - nowMs <= HOLD_HORIZON_MS)) {
        refused.push(hold);
        continue;
      }
      seated.push(
        new Promise<Leave<T>>((resolve) => {
          const seat: Seat<T> = { hold, batch, turnAtMs: hold.turnAtMs, waits: hold.waits, leave: resolve };
          mine.push(seat);
          this.lineOf(hold.key).seats.push(seat);
          batch.open++;
          this.seated++;
        }),
      );
    }
    if (batch.open > 0) {
      this.batches++;
      signal.addEventListener('abort', onAbort, { once: true });
      for (const { hold } of mine) {
        const line = this.lineOf(hold.key);
        line.dueAtMs = Math.min(line.dueAtMs, Math.min(hold.turnAtMs, nowMs + RECHECK_MS));
      }
      this.wake();
    }
    return { seated, refused };
  }

  /** A lease of `key` was given back by this caller: its next seats may go now. */
  released(key: string, count: number): void {
    const line = this.lines.get(key);
    if (line === undefined) return;
    line.lastGoMs = this.now();
    dropBefore(line.returned, line.lastGoMs - PACE_WINDOW_MS);
    line.returned.push([line.lastGoMs, count]);
    if (line.seats.length === 0) {
      // A lease came back and nobody here could take it, while requests of the key wait in the
      // delayed set: what was brought forward did not cover the way back. Keep more on the way.
      if (line.remembered.length > 0 && line.lastGoMs - line.stockGrewMs >= STOCK_GROWTH_MS) {
        line.stock = Math.min(this.options.maxRequests, line.stock * 2);
        line.stockGrewMs = line.lastGoMs;
      }
      return;
    }
    line.budget += count;
    line.dueAtMs = 0;
    this.wake();
  }

  /** A request of `key` went to the delayed set: the room may bring it forward later. */
  remember(key: string, requestId: string): void {
    if (this.options.delayed === undefined) return;
    const line = this.lineOf(key);
    if (line.remembered.length < MAX_REMEMBERED) line.remembered.push(requestId);
  }

  /** A request back from the delayed set reached this caller: it is no longer on its way. */
  arrived(key: string, requestId: string): void {
    this.lines.get(key)?.onTheWay.delete(requestId);
  }

  /** Every seat leaves as closing; later batches are refused. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const line of this.lines.values()) this.evict([...line.seats], 'closing');
  }

  private lineOf(key: string): Line<T> {
    let line = this.lines.get(key);
    if (line === undefined) this.lines.set(key, (line = { seats: [], budget: 4, dueAtMs: Infinity, remembered: [], onTheWay: new Map(), returned: [], stock: MIN_STOCK, stockGrewMs: 0, lastGoMs: 0 }));
    return line;
  }

  private evict(seats: readonly Seat<T>[], kind: 'closing' | 'late'): void {
    for (const seat of seats) this.unseat(seat, { kind, item: seat.hold.item });
  }

  private unseat(seat: Seat<T>, how: Leave<T>): void {
    const line = this.lines.get(seat.hold.key);
    const index = line?.seats.indexOf(seat) ?? -1;
    if (line === undefined || index < 0) return;
    line.seats.splice(index, 1);
    this.seated--;
    if (--seat.batch.open === 0) {
      this.batches--;
      seat.batch.detach();
    }
    seat.leave(how);
  }

  /** Runs a round now, or right after the one in flight. */
  private wake(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.running = this.rounds().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  private async rounds(): Promise<void> {
    do {
      this.again = false;
      await this.round().catch((error: unknown) => this.options.logger.warn({ err: error, held: this.seated }, 'the destination gate did not answer for held requests; asking again shortly'));
    } while (this.again && !this.closed);
  }

  private schedule(): void {
    if (this.closed) return;
    // Requests in the delayed set to bring forward keep the room looking even when no one is seated.
    let next = [...this.lines.values()].some(({ remembered }) => remembered.length > 0) ? this.now() + RECHECK_MS : Infinity;
    if (this.seated === 0 && next === Infinity) return;
    for (const line of this.lines.values()) if (line.seats.length > 0) next = Math.min(next, line.dueAtMs);
    const delay = Math.max(0, Math.min(next - this.now(), RECHECK_MS));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, delay);
    this.timer.unref();
  }

  /** One gate round trip for the first seats of every key that is due. */
  private async round(): Promise<void> {
    const nowMs = this.now();
    const asked: Seat<T>[] = [];
    for (const line of this.lines.values()) {
      for (const seat of line.seats.filter(({ hold }) => hold.deadlineMs !== undefined && hold.deadlineMs < nowMs)) this.unseat(seat, { kind: 'late', item: seat.hold.item });
      if (line.seats.length === 0 || line.dueAtMs > nowMs) continue;
      asked.push(...line.seats.slice(0, Math.max(1, Math.floor(line.budget))));
      line.dueAtMs = Infinity;
    }
    if (asked.length > 0) {
      let decisions: RoomDecision[];
      try {
        decisions = await this.options.pass(asked.map(({ hold, turnAtMs, waits }) => ({ key: hold.key, requestId: hold.requestId, limits: hold.limits, leaseMs: hold.leaseMs, turnAtMs, waits })));
      } catch (error) {
        for (const seat of asked) this.lineOf(seat.hold.key).dueAtMs = Math.min(this.lineOf(seat.hold.key).dueAtMs, this.now() + RECHECK_MS);
        throw error;
      }
      this.settle(asked, decisions);
    }
    this.bringForward();
  }

  private settle(asked: readonly Seat<T>[], decisions: readonly RoomDecision[]): void {
    const rounds = new Map<Line<T>, { went: number; asked: number; nextMs: number }>();
    const nowMs = this.now();
    asked.forEach((seat, index) => {
      const decision = decisions[index];
      if (decision === undefined) throw new Error(`the destination gate answered ${decisions.length} of ${asked.length} requests`);
      const line = this.lineOf(seat.hold.key);
      const tally = rounds.get(line) ?? { went: 0, asked: 0, nextMs: Infinity };
      rounds.set(line, tally);
      tally.asked++;
      if (decision.kind === 'go') {
        tally.went++;
        line.lastGoMs = nowMs;
        this.unseat(seat, { kind: 'go', item: seat.hold.item, key: seat.hold.key, leaseId: decision.leaseId, probe: decision.probe });
        return;
      }
      seat.turnAtMs = decision.turnAtMs;
      seat.waits++;
      // A slow key (a turn seconds away), a pause or an open breaker: the delayed set holds it, not a batch.
      if (decision.turnAtMs - nowMs > HOLD_HORIZON_MS) {
        this.unseat(seat, { kind: 'wait', item: seat.hold.item, reason: decision.reason, turnAtMs: decision.turnAtMs });
        return;
      }
      tally.nextMs = Math.min(tally.nextMs, decision.turnAtMs);
    });
    for (const [line, { went, asked: count, nextMs }] of rounds) {
      if (went === count) {
        // Everyone asked went: ask about twice as many at once.
        line.budget = Math.min(line.budget * 2, 1_024);
        line.dueAtMs = nowMs;
        this.again ||= line.seats.length > 0;
      } else {
        line.budget = Math.max(1, went);
        line.dueAtMs = Math.min(line.dueAtMs, Math.min(nextMs, nowMs + RECHECK_MS));
      }
    }
  }

  /**
   * Brings forward requests this caller put into the delayed set for keys that are moving: enough
   * to keep, seated or on their way, what the key's leases come back at in one second (the way
   * back takes less), and at least its stock, which grows while the room runs dry; never more than
   * the room has space for. A key whose pace the room undercuts idles at the destination while
   * its requests wait for turns the gate handed out when the key was slower.
   */
  private bringForward(): void {
    const delayed = this.options.delayed;
    if (delayed === undefined || this.closed) return;
    const nowMs = this.now();
    let space = this.options.maxRequests - this.seated;
    for (const [key, line] of this.lines) {
      for (const [id, atMs] of line.onTheWay) {
        if (atMs >= nowMs - ON_THE_WAY_MS) break;
        line.onTheWay.delete(id);
      }
      dropBefore(line.returned, nowMs - PACE_WINDOW_MS);
      if (line.remembered.length === 0) {
        if (line.seats.length === 0 && line.onTheWay.size === 0) this.lines.delete(key);
        continue;
      }
      if (nowMs - line.lastGoMs > ON_THE_WAY_MS) continue;
      const coming = line.onTheWay.size;
      const stock = Math.min(this.options.maxRequests, Math.max(line.stock, MIN_STOCK + Math.ceil((total(line.returned) * 1_000) / PACE_WINDOW_MS)));
      const wanted = Math.min(line.remembered.length, space, stock - line.seats.length - coming);
      if (wanted <= 0) continue;
      const ids = line.remembered.splice(0, wanted);
      for (const id of ids) line.onTheWay.set(id, nowMs);
      space -= ids.length;
      delayed.expedite(ids, nowMs).catch((error: unknown) => this.options.logger.warn({ err: error, requests: ids.length }, 'could not bring waiting requests forward; they come back at their turn'));
    }
  }
}

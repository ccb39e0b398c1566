import { ParcError } from '@parc/errors';
import type { FastifyBaseLogger } from 'fastify';
import type { Gauge } from 'prom-client';

/** A reading of the inbox: entries waiting, delivered but unacknowledged, and ever added. */
export interface InboxReading {
  readonly waiting: number;
  readonly inFlight: number;
  /** Only grows: two readings tell how much was added, and so how much left, in between. */
  readonly added: number;
}

/** Settings of {@link BacklogGuard}. */
export interface BacklogGuardOptions {
  /** Reads the inbox (the queue backend's `backlog(inbox, group)`). */
  readonly read: () => Promise<InboxReading>;
  readonly watermark: number;
  /** A reading is reused for this long. */
  readonly refreshMs: number;
  /** Bounds of the computed Retry-After, in seconds; the upper one also when nothing drains. */
  readonly minRetryAfterSeconds: number;
  readonly maxRetryAfterSeconds: number;
  readonly now: () => number;
  readonly gauge: Gauge;
  readonly log: FastifyBaseLogger;
}

/**
 * Time over which the drain rate is smoothed: readings come with intake, so they can be seconds
 * apart, and a sample's weight grows with the time it covers (a reading after a long pause
 * replaces what was known before; several within a second only nudge it).
 */
const DRAIN_SMOOTHING_MS = 3_000;
/** A client told to come back should find room: when the backlog is this far below the watermark. */
const ROOM_FRACTION = 0.8;

/**
 * Refuses intake while the inbox backlog is above the watermark. The backlog is read at most
 * once per `refreshMs` (concurrent checks share one reading), and what this process accepted
 * since the last reading is added, so a burst between readings cannot overshoot far.
 *
 * Every reading also measures how fast the inbox drains (entries that left it per second,
 * smoothed), so a refusal says when to come back: the time for the backlog to fall to 80 % of
 * the watermark at that rate, within [min, max] seconds, and the maximum while nothing drains
 * (proxy-store or Kafka down) — rather than a constant that brings every client back too soon
 * or too late.
 */
export class BacklogGuard {
  private value = 0;
  private readAt = Number.NEGATIVE_INFINITY;
  private acceptedSinceRead = 0;
  private reading: Promise<void> | undefined;
  private previous: { readonly reading: InboxReading; readonly atMs: number } | undefined;
  /** Entries leaving the inbox per second, smoothed; undefined until two readings exist. */
  private drainPerS: number | undefined;

  constructor(private readonly options: BacklogGuardOptions) {}

  /** @throws ParcError BACKLOG_FULL, with a computed `retryAfterSeconds`, when the backlog is at or above the watermark. */
  async check(): Promise<void> {
    if (this.options.now() - this.readAt >= this.options.refreshMs) {
      this.reading ??= this.refresh().finally(() => (this.reading = undefined));
      await this.reading;
    }
    const backlog = this.value + this.acceptedSinceRead;
    if (backlog >= this.options.watermark) {
      const retryAfterSeconds = this.retryAfterSeconds(backlog);
      const rate = this.drainPerS === undefined ? 'not measured yet' : `${Math.round(this.drainPerS)}/s`;
      throw new ParcError(
        'BACKLOG_FULL',
        `the inbox holds ${backlog} requests, at or above the watermark of ${this.options.watermark} (draining at ${rate}); retry in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
  }

  /** Counts requests accepted since the last reading. */
  noteAccepted(count: number): void {
    this.acceptedSinceRead += count;
  }

  /** Seconds until the backlog is expected down to 80 % of the watermark at the measured drain rate. */
  retryAfterSeconds(backlog: number): number {
    const { minRetryAfterSeconds: min, maxRetryAfterSeconds: max, watermark } = this.options;
    const rate = this.drainPerS ?? 0;
    if (rate < 1) return max;
    const seconds = Math.ceil((backlog - ROOM_FRACTION * watermark) / rate);
    return Math.min(max, Math.max(min, seconds));
  }

  /** A failed reading keeps the last value: intake then fails on its own if the store is down. */
  private async refresh(): Promise<void> {
    try {
      const reading = await this.options.read();
      const atMs = this.options.now();
      this.measureDrain(reading, atMs);
      this.value = reading.waiting;
      this.acceptedSinceRead = 0;
      this.options.gauge.set(reading.waiting);
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not read the inbox backlog; using the last reading');
    }
    this.readAt = this.options.now();
  }

  /** What left the inbox since the last reading: what was there, plus what was added, minus what is there now. */
  private measureDrain(reading: InboxReading, atMs: number): void {
    const previous = this.previous;
    this.previous = { reading, atMs };
    if (previous === undefined || atMs <= previous.atMs) return;
    const before = previous.reading.waiting + previous.reading.inFlight;
    const now = reading.waiting + reading.inFlight;
    const left = before + Math.max(0, reading.added - previous.reading.added) - now;
    const elapsedMs = atMs - previous.atMs;
    const sample = Math.max(0, left) / (elapsedMs / 1000);
    const weight = 1 - Math.exp(-elapsedMs / DRAIN_SMOOTHING_MS);
    this.drainPerS = this.drainPerS === undefined ? sample : weight * sample + (1 - weight) * this.drainPerS;
  }
}

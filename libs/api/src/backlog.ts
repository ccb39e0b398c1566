import { ParcError } from '@parc/errors';
import type { FastifyBaseLogger } from 'fastify';
import type { Gauge } from 'prom-client';

/** Settings of {@link BacklogGuard}. */
export interface BacklogGuardOptions {
  /** Reads the inbox backlog (waiting entries). */
  readonly read: () => Promise<number>;
  readonly watermark: number;
  /** A reading is reused for this long. */
  readonly refreshMs: number;
  readonly now: () => number;
  readonly gauge: Gauge;
  readonly log: FastifyBaseLogger;
}

/**
 * Refuses intake while the inbox backlog is above the watermark. The backlog is read at most
 * once per `refreshMs` (concurrent checks share one reading), and what this process accepted
 * since the last reading is added, so a burst between readings cannot overshoot far.
 */
export class BacklogGuard {
  private value = 0;
  private readAt = Number.NEGATIVE_INFINITY;
  private acceptedSinceRead = 0;
  private reading: Promise<void> | undefined;

  constructor(private readonly options: BacklogGuardOptions) {}

  /** @throws ParcError BACKLOG_FULL when the backlog is at or above the watermark. */
  async check(): Promise<void> {
    if (this.options.now() - this.readAt >= this.options.refreshMs) {
      this.reading ??= this.refresh().finally(() => (this.reading = undefined));
      await this.reading;
    }
    const backlog = this.value + this.acceptedSinceRead;
    if (backlog >= this.options.watermark) {
      throw new ParcError(
        'BACKLOG_FULL',
        `the inbox holds ${backlog} requests, at or above the watermark of ${this.options.watermark}; retry later`,
      );
    }
  }

  /** Counts requests accepted since the last reading. */
  noteAccepted(count: number): void {
    this.acceptedSinceRead += count;
  }

  /** A failed reading keeps the last value: intake then fails on its own if the store is down. */
  private async refresh(): Promise<void> {
    try {
      const value = await this.options.read();
      this.value = value;
      this.acceptedSinceRead = 0;
      this.options.gauge.set(value);
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not read the inbox backlog; using the last reading');
    }
    this.readAt = this.options.now();
  }
}

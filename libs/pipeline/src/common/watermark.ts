import type { QueueLogger } from '@parc/queue';

/** What the gate pauses and resumes (a relay). */
export interface Pausable {
  pause(): void;
  resume(): void;
  readonly paused: boolean;
}

/**
 * Backpressure with hysteresis: pause at `high` entries waiting downstream, resume at `low`.
 * The backlog is measured periodically (`observed`); between measurements the gate adds what
 * the stage itself wrote (`added`), so a fast stage pauses on time instead of overshooting by
 * everything it could write in one measurement interval.
 */
export class WatermarkGate {
  private estimate = 0;
  private target: Pausable | undefined;

  constructor(
    private readonly high: number,
    private readonly low: number,
    private readonly logger: QueueLogger,
    private readonly fields: Record<string, unknown>,
  ) {}

  /** Binds the gate to what it controls (started after the gate exists). */
  control(target: Pausable): void {
    this.target = target;
    this.apply();
  }

  /** The stage wrote `count` more entries downstream. */
  added(count: number): void {
    this.estimate += count;
    this.apply();
  }

  /** A fresh measurement of the entries waiting downstream. */
  observed(waiting: number): void {
    this.estimate = waiting;
    this.apply();
  }

  get paused(): boolean {
    return this.target?.paused ?? false;
  }

  private apply(): void {
    const target = this.target;
    if (!target) return;
    if (!target.paused && this.estimate >= this.high) {
      target.pause();
      this.logger.info({ ...this.fields, waiting: this.estimate, highWatermark: this.high }, 'downstream above high watermark; pausing');
    } else if (target.paused && this.estimate <= this.low) {
      target.resume();
      this.logger.info({ ...this.fields, waiting: this.estimate, lowWatermark: this.low }, 'downstream at low watermark; resuming');
    }
  }
}

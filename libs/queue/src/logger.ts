/** The logging surface adapters need; a pino logger satisfies it. */
export interface QueueLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** Discards everything: the default when a caller passes no logger. */
export const silentLogger: QueueLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** How long repeats of one line are held back after it was logged. */
const REPEAT_WINDOW_MS = 30_000;

/**
 * Holds back repeats of the same log line: a Redis or Kafka that is down makes its client say
 * the same thing on every reconnect attempt. The first is logged; repeats within the window only count, and
 * the next one after it says how many were held back. Digits are ignored when comparing
 * ("Restarting the consumer in 1234ms").
 */
export class RepeatFilter {
  private readonly seen = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly windowMs = REPEAT_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to log `message` now, and how many of its repeats were held back before it. */
  admit(message: string): { readonly log: boolean; readonly held: number } {
    const key = message.replace(/\d+/g, '#');
    const nowMs = this.now();
    const entry = this.seen.get(key);
    if (entry && nowMs - entry.at < this.windowMs) {
      entry.held++;
      return { log: false, held: entry.held };
    }
    const held = entry?.held ?? 0;
    this.seen.set(key, { at: nowMs, held: 0 });
    if (this.seen.size > 1_000) this.seen.clear(); // bounded: messages carry ids and addresses
    return { log: true, held };
  }
}

/**
 * The scheduler's decision log: one JSON entry per tick (observations, plan, reasons), newest
 * kept, oldest dropped beyond a bound. It lives in the proxy's Redis so that a restarted
 * scheduler reads the previous tick (rates, last changes) and decides as the old one would have.
 */
export interface DecisionLog {
  /** Appends `entry` (JSON) and drops the oldest entries beyond `maxEntries`. */
  append(entry: string, maxEntries: number): Promise<void>;
  /** Up to `limit` entries, newest first. */
  recent(limit: number): Promise<string[]>;
}

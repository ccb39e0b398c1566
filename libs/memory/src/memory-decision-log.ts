import type { DecisionLog } from '@parc/store';

/** The decision log in memory: newest first, bounded on append. */
export class MemoryDecisionLog implements DecisionLog {
  private entries: string[] = [];

  async append(entry: string, maxEntries: number): Promise<void> {
    this.entries = [entry, ...this.entries].slice(0, Math.max(1, maxEntries));
  }

  async recent(limit: number): Promise<string[]> {
    return this.entries.slice(0, Math.max(0, limit));
  }
}

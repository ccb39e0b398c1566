import type { DeadLetter, DeadLetterPage, DeadLetterStore } from '@parc/store';
import type { MemoryAppend } from './memory-ledger';

/** Dead callbacks in process memory, listed in the order they died. */
export class MemoryDeadLetterStore implements DeadLetterStore {
  private readonly letters = new Map<string, DeadLetter>();

  constructor(private readonly append: MemoryAppend) {}

  async add(letters: readonly DeadLetter[]): Promise<void> {
    for (const letter of letters) {
      this.letters.delete(letter.id); // re-adding moves it to the end, like a new death
      this.letters.set(letter.id, letter);
    }
  }

  async list({ limit, after }: { limit: number; after?: string }): Promise<DeadLetterPage> {
    const all = [...this.letters.values()];
    const start = after === undefined ? 0 : all.findIndex((letter) => letter.id === after) + 1;
    const items = all.slice(start, start + limit);
    const last = items[items.length - 1];
    return start + limit < all.length && last ? { items, next: last.id } : { items };
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    return this.letters.get(id);
  }

  async replay(ids: readonly string[], queue: string, rewrite: (job: string) => string): Promise<string[]> {
    const moved: string[] = [];
    for (const id of ids) {
      const letter = this.letters.get(id);
      if (!letter) continue;
      this.append(queue, [{ payload: rewrite(letter.job), key: id }]);
      this.letters.delete(id);
      moved.push(id);
    }
    return moved;
  }
}

/**
 * Callbacks that exhausted their retries. An operator lists them and replays them through the API.
 */
export interface DeadLetter {
  /** The request id (also the callback's `webhook-id`). */
  readonly id: string;
  readonly deadAt: number;
  /** The callback job as it was last attempted (serialised JSON). */
  readonly job: string;
  /** Why the last attempt failed, for the operator. */
  readonly reason: string;
}

export interface DeadLetterPage {
  readonly items: readonly DeadLetter[];
  /** Pass as `after` for the next page; undefined on the last page. */
  readonly next?: string;
}

export interface DeadLetterStore {
  add(letters: readonly DeadLetter[]): Promise<void>;
  /** Oldest first. */
  list(options: { readonly limit: number; readonly after?: string }): Promise<DeadLetterPage>;
  get(id: string): Promise<DeadLetter | undefined>;
  /**
   * Moves dead letters back into `queue` as fresh jobs (`rewrite` turns a stored job into the job
   * to enqueue, e.g. with its attempt count reset), atomically per letter. Returns the ids moved.
   */
  replay(ids: readonly string[], queue: string, rewrite: (job: string) => string): Promise<string[]>;
}

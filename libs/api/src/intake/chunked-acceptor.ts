import type { AcceptedRequest, StreamPosition } from '@parc/store';

/** Settings of {@link ChunkedAcceptor}. */
export interface ChunkedAcceptorOptions {
  /** Writes one chunk (one `ledger.accept`), which brings the stream to `position`. */
  readonly accept: (requests: AcceptedRequest[], position: StreamPosition) => Promise<void>;
  /** Where the stream is now: read when a chunk is cut, so it covers exactly the lines before it. */
  readonly position: () => StreamPosition;
  /** Flush when this many requests wait … */
  readonly chunkSize: number;
  /** … or when the oldest has waited this long. */
  readonly chunkMs: number;
}

/**
 * Accepts a stream's requests in chunks while it is still being read: one write per
 * `chunkSize` requests or per `chunkMs`, whichever comes first, so a slow stream's requests
 * are not held back and a fast one costs one round trip per chunk. Chunks are written one
 * after another, so `ids` are in stream order; after a failed write nothing more is written.
 */
export class ChunkedAcceptor {
  /** Ids whose chunk was written, in stream order. */
  readonly ids: string[] = [];
  private pending: AcceptedRequest[] = [];
  private tail: Promise<void> = Promise.resolve();
  private failure: { readonly error: unknown } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queuedWrites = 0;

  constructor(private readonly options: ChunkedAcceptorOptions) {}

  /** Adds a request; a full chunk is queued for writing at once. */
  add(request: AcceptedRequest): void {
    this.pending.push(request);
    if (this.pending.length >= this.options.chunkSize) {
      void this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.options.chunkMs);
      this.timer.unref();
    }
  }

  /**
   * Whether the reader should wait before reading on: one write may run while the next chunk is
   * read, more would let a fast client fill memory faster than the store takes it.
   */
  get congested(): boolean {
    return this.queuedWrites > 1;
  }

  /** Resolves when every queued write has finished (it never rejects; see `throwIfFailed`). */
  settled(): Promise<void> {
    return this.tail;
  }

  /** Queues the pending requests for writing; resolves when every write so far has finished. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const chunk = this.pending;
    this.pending = [];
    if (chunk.length > 0) {
      const position = this.options.position();
      this.queuedWrites++;
      this.tail = this.tail.then(() => this.write(chunk, position)).finally(() => this.queuedWrites--);
    }
    return this.tail;
  }

  /**
   * Counts ids written by an earlier attempt at this stream as written, ahead of everything added
   * since. Only before the first `add`, so the ids stay in stream order.
   */
  adopt(ids: readonly string[]): void {
    // One push per id: spreading 100,000 ids as arguments would overflow the stack.
    for (const id of ids) this.ids.push(id);
  }

  /** @throws the error of a failed write, so the reader stops. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  /** Writes what is pending and waits for every write. @throws the first write's error. */
  async finish(): Promise<string[]> {
    await this.flush();
    this.throwIfFailed();
    return this.ids;
  }

  /** Drops what is not written yet (the stream broke) and waits for writes under way. */
  async abandon(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    await this.tail;
  }

  private async write(chunk: AcceptedRequest[], position: StreamPosition): Promise<void> {
    if (this.failure !== undefined) return;
    try {
      await this.options.accept(chunk, position);
      for (const request of chunk) this.ids.push(request.id);
    } catch (error) {
      this.failure = { error };
    }
  }
}

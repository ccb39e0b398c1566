/**
 * Idempotency keys for the intake API: a repeat of a submission with the same key and the same
 * body gets the first answer and enqueues nothing; the same key with another body is refused.
 *
 * A JSON batch is accepted and its answer stored in one step: `RequestLedger.accept` with a
 * {@link BatchGuard}. A stream, accepted in chunks while it is read and fingerprinted only at its
 * end, holds the key with a short lock that its holder renews, and records its progress with
 * every chunk ({@link StreamGuard}), so that a retry after its holder died resumes the same batch.
 */

/** The answer stored for a completed key. */
export interface CompletedEntry {
  /** Fingerprint of the submission (e.g. a SHA-256 of its kind, shaping headers and body). */
  readonly fingerprint: string;
  /** The answer sent for it, byte for byte. */
  readonly response: string;
}

/** How far a stream has been handled: through line `line`, whose lines so far have `digest`. */
export interface StreamPosition {
  readonly line: number;
  readonly digest: string;
}

/** What a stream whose holder died left: enough to resume the same batch without duplicates. */
export interface StreamProgress extends StreamPosition {
  readonly batchId: string;
  /** Ids accepted for lines 1…`line`, in stream order. */
  readonly ids: readonly string[];
}

/** A JSON batch's key: accepted together with its answer, or answered from the stored one. */
export interface BatchGuard {
  readonly kind: 'batch';
  readonly key: string;
  readonly fingerprint: string;
  /** The answer to store when the batch is accepted. */
  readonly response: string;
  /** How long the answer is kept. */
  readonly ttlMs: number;
}

/** A stream chunk's key: written only while `owner` holds the key's lock, with the stream's progress. */
export interface StreamGuard {
  readonly kind: 'stream';
  readonly key: string;
  readonly owner: string;
  readonly batchId: string;
  /** The stream's position once this chunk is accepted. */
  readonly position: StreamPosition;
  /** How long the progress is kept (as long as an answer: a retry may come that late). */
  readonly ttlMs: number;
}

/** The idempotency condition of a `RequestLedger.accept`, checked in the same atomic step. */
export type AcceptGuard = BatchGuard | StreamGuard;

/** What a (guarded) `RequestLedger.accept` did. Only `accepted` wrote anything. */
export type AcceptOutcome =
  /** The requests were accepted (and, with a guard, the answer or progress recorded). */
  | { readonly kind: 'accepted' }
  /** Batch: the key was completed with this fingerprint; answer with `response`. */
  | { readonly kind: 'replay'; readonly response: string }
  /** Batch: the key was used with another body (a completed one, or a stream's progress). */
  | { readonly kind: 'mismatch' }
  /** Batch: a stream holding the key is still being read. */
  | { readonly kind: 'in_progress' }
  /** Stream: `owner` no longer holds the key's lock (it expired, or another took it). */
  | { readonly kind: 'lost' };

/** The outcome of {@link IdempotencyStore.claimStream}. */
export type StreamClaim =
  /** The caller holds the lock; `resume` is what an earlier holder that died accepted. */
  | { readonly kind: 'claimed'; readonly resume?: StreamProgress }
  /** The key was completed: compare fingerprints, then replay or refuse. */
  | { readonly kind: 'completed'; readonly entry: CompletedEntry }
  /** A live holder has the lock. */
  | { readonly kind: 'in_progress' };

/**
 * The stream side of idempotency keys (the batch side is `RequestLedger.accept`'s guard). A lock
 * lives `lockMs` unless renewed, so a key held by a process that died is free again soon after.
 */
export interface IdempotencyStore {
  /** Takes the key's lock for `owner` for `lockMs`, unless it is completed or held. */
  claimStream(key: string, owner: string, lockMs: number): Promise<StreamClaim>;
  /** Extends `owner`'s lock to `lockMs` from now. @returns false when `owner` no longer holds it. */
  renewStream(key: string, owner: string, lockMs: number): Promise<boolean>;
  /**
   * Stores the answer (kept `ttlMs`), drops the lock and the progress, in one step, if `owner`
   * still holds the lock. @returns false (nothing stored) when it does not.
   */
  completeStream(key: string, owner: string, entry: CompletedEntry, ttlMs: number): Promise<boolean>;
  /** Drops `owner`'s lock (a refused or broken stream); progress stays for a retry to resume. */
  releaseStream(key: string, owner: string): Promise<void>;
}

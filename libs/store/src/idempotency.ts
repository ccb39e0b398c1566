/**
 * Idempotency keys for the intake API: a repeat of a request with the same key and the same
 * body gets the first answer and enqueues nothing; the same key with another body is refused.
 */
export type IdempotencyClaim =
  /** The key was free and is now held by the caller, who must `complete` or `release` it. */
  | { readonly kind: 'claimed' }
  /** A completed request used this key with this fingerprint: answer with `response`. */
  | { readonly kind: 'replay'; readonly response: string }
  /** A completed request used this key with another body. */
  | { readonly kind: 'mismatch' }
  /** Another request holding this key is still being accepted. */
  | { readonly kind: 'in_progress' };

export interface IdempotencyStore {
  /**
   * Claims `key` for a request whose body has `fingerprint` (e.g. a SHA-256 of the body), or
   * answers from a completed entry. A streamed body, whose fingerprint is known only at the
   * end, is claimed with a placeholder after `lookup` found nothing, and completed with the real one.
   */
  claim(key: string, fingerprint: string, ttlMs: number): Promise<IdempotencyClaim>;
  /** The completed entry for `key`, if any. */
  lookup(key: string): Promise<{ readonly fingerprint: string; readonly response: string } | undefined>;
  /** Stores the answer for a claimed key (for `ttlMs` from now). */
  complete(key: string, fingerprint: string, response: string, ttlMs: number): Promise<void>;
  /** Frees a claimed key whose request was not accepted (nothing was enqueued). */
  release(key: string): Promise<void>;
}

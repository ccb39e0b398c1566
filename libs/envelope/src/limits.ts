/** Size and count limits an envelope must respect; every deployment may tune them. */
export interface EnvelopeLimits {
  /** Characters in `request.url` and `callback.url`. */
  readonly maxUrlLength: number;
  /** Headers per request (and per callback). */
  readonly maxHeaderCount: number;
  /** UTF-8 bytes of all header names plus values, per request (and per callback). */
  readonly maxHeaderBytes: number;
  /** Decoded bytes of `request.bodyBase64`. */
  readonly maxBodyBytes: number;
  /** UTF-8 bytes of `metadata` serialised as JSON. */
  readonly maxMetadataBytes: number;
  /** Decoded bytes of a response body recorded in an attempt; longer bodies are truncated. */
  readonly maxRecordedBodyBytes: number;
  /** Cap on `policy.maxAttempts`. */
  readonly maxAttempts: number;
  /** Cap on `request.timeoutMs`. */
  readonly maxTimeoutMs: number;
}

/**
 * Defaults sized so that a full envelope (request, policy and every recorded attempt) stays in
 * the low megabytes a Redis stream entry or Kafka message handles comfortably.
 */
export const DEFAULT_ENVELOPE_LIMITS: EnvelopeLimits = Object.freeze({
  maxUrlLength: 8192,
  maxHeaderCount: 64,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 1024 * 1024,
  maxMetadataBytes: 4 * 1024,
  maxRecordedBodyBytes: 64 * 1024,
  maxAttempts: 50,
  maxTimeoutMs: 300_000,
});

/** Resolved limits by the (frozen, so unchanging) object they were resolved from. */
const resolved = new WeakMap<object, EnvelopeLimits>();

/** `partial` over {@link DEFAULT_ENVELOPE_LIMITS}; fields set to undefined keep their default. */
export function resolveEnvelopeLimits(partial: Partial<EnvelopeLimits> = {}): EnvelopeLimits {
  // Validation resolves the limits for every envelope, mostly from the same (frozen) object.
  const known = resolved.get(partial);
  if (known) return known;
  const merged: Record<string, unknown> = { ...DEFAULT_ENVELOPE_LIMITS };
  for (const key in partial) {
    const value = (partial as Record<string, unknown>)[key];
    if (value !== undefined) merged[key] = value;
  }
  const limits = Object.freeze(merged) as unknown as EnvelopeLimits;
  if (Object.isFrozen(partial)) resolved.set(partial, limits);
  resolved.set(limits, limits);
  return limits;
}

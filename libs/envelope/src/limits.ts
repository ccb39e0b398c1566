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

/** `partial` over {@link DEFAULT_ENVELOPE_LIMITS}; fields set to undefined keep their default. */
export function resolveEnvelopeLimits(partial: Partial<EnvelopeLimits> = {}): EnvelopeLimits {
  const defined = Object.entries(partial).filter(([, value]) => value !== undefined);
  return Object.freeze({ ...DEFAULT_ENVELOPE_LIMITS, ...Object.fromEntries(defined) });
}

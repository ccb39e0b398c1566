/**
 * Codes a caller stage records for an attempt that produced no usable HTTP response.
 * They are part of the envelope's wire format (attempt records and `policy.retryOnErrors`):
 * never rename one; add new ones at the end.
 */
export const TRANSPORT_ERROR_CODES = [
  /** No complete response within `request.timeoutMs` (headers or body). */
  'timeout',
  /** The TCP/TLS connection could not be set up in time. */
  'connect_timeout',
  /** The target actively refused the connection (ECONNREFUSED). */
  'connection_refused',
  /** The connection broke mid-exchange (ECONNRESET, EPIPE, socket closed early). */
  'connection_reset',
  /** The target's host name did not resolve (ENOTFOUND, EAI_AGAIN). */
  'dns_failure',
  /** The TLS handshake failed (bad certificate, protocol mismatch). */
  'tls_failure',
  /** Any other network-level failure. */
  'network_error',
  /** The egress policy refused the destination (private, loopback, metadata address). */
  'destination_blocked',
  /** The request could not be sent as given (rejected by the HTTP client before any I/O). */
  'invalid_request',
  /** The response exceeded the size the caller is willing to read. */
  'response_too_large',
] as const;

/** One of {@link TRANSPORT_ERROR_CODES}. */
export type TransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];

/**
 * Codes no policy may retry: sending the same request again cannot change the outcome
 * (the egress policy, the request itself and the target's response size stay the same).
 */
export const FINAL_TRANSPORT_ERROR_CODES: readonly TransportErrorCode[] = Object.freeze([
  'destination_blocked',
  'invalid_request',
  'response_too_large',
]);

/**
 * Codes retried by default: transient network conditions and timeouts. `tls_failure` is
 * included because certificate rotations and overloaded terminators do recover.
 */
export const RETRYABLE_TRANSPORT_ERROR_CODES: readonly TransportErrorCode[] = Object.freeze(
  TRANSPORT_ERROR_CODES.filter((code) => !FINAL_TRANSPORT_ERROR_CODES.includes(code)),
);

/** Narrows an unknown value to a {@link TransportErrorCode}. */
export function isTransportErrorCode(value: unknown): value is TransportErrorCode {
  return typeof value === 'string' && (TRANSPORT_ERROR_CODES as readonly string[]).includes(value);
}

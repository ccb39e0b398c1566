/**
 * Every error Parc raises on purpose has a stable code from this catalog. Codes are part of
 * the public contract (API error bodies, logs, attempt records): never rename one, add new ones.
 * `docs/errors.md` documents each; `catalog.spec.ts` fails when the two drift apart.
 */
export interface ErrorDefinition {
  /** HTTP status the API answers with, when the error reaches a client. */
  readonly status?: number;
  /** Whether trying the same thing again later can succeed. */
  readonly retriable: boolean;
  /** One line for the docs: what happened. */
  readonly summary: string;
}

export const ERROR_CATALOG = {
  CONFIG_INVALID: {
    retriable: false,
    summary: 'An environment variable is missing or malformed; the service refuses to start.',
  },
  ENVELOPE_INVALID: {
    status: 400,
    retriable: false,
    summary: 'A request envelope failed validation; details name each offending field.',
  },
  ENVELOPE_MALFORMED: {
    status: 400,
    retriable: false,
    summary: 'Serialised envelope text is not JSON or not an object.',
  },
  ENVELOPE_VERSION_UNSUPPORTED: {
    status: 400,
    retriable: false,
    summary: 'An envelope carries a schema version this build does not know.',
  },
  NOT_FOUND: {
    status: 404,
    retriable: false,
    summary: 'No route matches the request method and path.',
  },
  QUEUE_UNAVAILABLE: {
    status: 503,
    retriable: true,
    summary: 'Redis or Kafka could not be reached or refused an operation.',
  },
  QUEUE_AUTH_FAILED: {
    status: 503,
    retriable: true,
    summary: 'Kafka refused the credentials Parc presented (SASL).',
  },
  QUEUE_OPTIONS_INVALID: {
    retriable: false,
    summary: 'A queue consumer or producer was configured with out-of-range options.',
  },
  QUEUE_CLOSED: {
    retriable: false,
    summary: 'An operation was attempted on a queue client after close().',
  },
  SHUTTING_DOWN: {
    status: 503,
    retriable: true,
    summary: 'The service is draining after SIGTERM and takes no new work.',
  },
  WEBHOOK_SECRET_INVALID: {
    retriable: false,
    summary: 'A webhook signing secret is not `whsec_` + base64 of a 24–64 byte key.',
  },
  UNAUTHORIZED: {
    status: 401,
    retriable: false,
    summary: 'The request carries no API key, or one that is not valid.',
  },
  FORBIDDEN: {
    status: 403,
    retriable: false,
    summary: 'The API key is valid but may not use this route (operator routes).',
  },
  REQUEST_INVALID: {
    status: 400,
    retriable: false,
    summary: 'The API request failed validation; details name each field (and the item index in a batch).',
  },
  BODY_MALFORMED: {
    status: 400,
    retriable: false,
    summary: 'The body is empty, not valid JSON, or not valid UTF-8.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    retriable: false,
    summary: 'The body, an NDJSON line or a batch exceeds a configured limit.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retriable: false,
    summary: 'The Content-Type is not one the route accepts.',
  },
  IDEMPOTENCY_KEY_MISMATCH: {
    status: 422,
    retriable: false,
    summary: 'The Idempotency-Key was already used with a different body.',
  },
  IDEMPOTENCY_KEY_IN_PROGRESS: {
    status: 409,
    retriable: true,
    summary: 'A request with the same Idempotency-Key is still being accepted.',
  },
  BACKLOG_FULL: {
    status: 503,
    retriable: true,
    summary: "The proxy's inbox backlog is above its watermark; nothing was enqueued.",
  },
  UNKNOWN_ID: {
    status: 404,
    retriable: false,
    summary: 'No request, batch or dead letter has this id (never accepted, or expired).',
  },
  ALREADY_FINISHED: {
    status: 409,
    retriable: false,
    summary: 'The request (or every request of the batch) has already finished, so there is nothing to cancel.',
  },
  INTERNAL_ERROR: {
    status: 500,
    retriable: true,
    summary: 'An unexpected failure inside Parc.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

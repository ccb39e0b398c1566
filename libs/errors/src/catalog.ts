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
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

import { ERROR_CATALOG, type ErrorCode } from './catalog';

/** One problem with one field, for error responses a person can act on. */
export interface FieldIssue {
  /** Dotted/indexed path of the field, e.g. `request.headers.x-api-key` or `requests[3].url`. */
  readonly path: string;
  readonly message: string;
}

export interface ParcErrorOptions {
  readonly cause?: unknown;
  readonly details?: readonly FieldIssue[];
  /** For a retriable error: when trying again is likely to succeed (an HTTP answer's Retry-After). */
  readonly retryAfterSeconds?: number;
}

/** An error with a stable code from the catalog, its HTTP status and whether retrying can help. */
export class ParcError extends Error {
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly retriable: boolean;
  readonly details: readonly FieldIssue[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: ParcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const definition = ERROR_CATALOG[code];
    this.name = 'ParcError';
    this.code = code;
    this.status = 'status' in definition ? definition.status : undefined;
    this.retriable = definition.retriable;
    this.details = options.details ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The shape the HTTP API answers with: `{ error: { code, message, details } }`. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: readonly FieldIssue[] } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }
}

/** True for errors carrying the given catalog code (works across module copies, unlike instanceof). */
export function isParcError(error: unknown, code?: ErrorCode): error is ParcError {
  return (
    error instanceof Error &&
    (error as Partial<ParcError>).name === 'ParcError' &&
    typeof (error as Partial<ParcError>).code === 'string' &&
    (code === undefined || (error as ParcError).code === code)
  );
}

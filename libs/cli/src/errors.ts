/**
 * The exit codes `parc` promises to scripts. `parc --help` and libs/cli/README.md list them;
 * a unit test fails when either drifts from this table.
 */
export const EXIT_CODES = {
  /** Done, and every request succeeded (commands without outcomes: the command worked). */
  ok: 0,
  /** Anything else: the proxy failed (5xx) or answered something unreadable. */
  unexpected: 1,
  /** The batch finished with some requests failed. */
  someFailed: 2,
  /** The proxy refused: a wrong or missing API key, a rejected body or NDJSON line, an unknown id (any 4xx). */
  refused: 3,
  /** The proxy could not be reached: connection refused, DNS, timeout, a broken connection. */
  unreachable: 4,
  /** Bad arguments. */
  usage: 64,
} as const;

/** The CLI's own error catalog: a stable code per way a command can fail, and its exit code. */
export const CLI_ERROR_CATALOG = {
  USAGE: { exitCode: EXIT_CODES.usage },
  REFUSED: { exitCode: EXIT_CODES.refused },
  UNREACHABLE: { exitCode: EXIT_CODES.unreachable },
  UNEXPECTED: { exitCode: EXIT_CODES.unexpected },
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CATALOG;

export interface CliErrorOptions {
  readonly cause?: unknown;
  /** The HTTP status the proxy answered with, when it answered. */
  readonly status?: number;
  /** More lines for the person reading stderr (field issues, rejected lines, hints). */
  readonly details?: readonly string[];
}

/** A failure of a command, with the exit code it ends the process with. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: number;
  readonly status: number | undefined;
  readonly details: readonly string[];

  constructor(code: CliErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = CLI_ERROR_CATALOG[code].exitCode;
    this.status = options.status;
    this.details = options.details ?? [];
  }
}

/** True for a {@link CliError}, optionally of one code. */
export function isCliError(error: unknown, code?: CliErrorCode): error is CliError {
  return error instanceof CliError && (code === undefined || error.code === code);
}

/** The exit codes as `parc --help` and the README explain them, in the order shown. */
export const EXIT_CODE_HELP: readonly (readonly [code: number, meaning: string])[] = [
  [EXIT_CODES.ok, 'done: every request succeeded (commands without outcomes: the command worked)'],
  [EXIT_CODES.someFailed, 'the batch finished with some requests failed (submit --wait/--out; results: a failed line)'],
  [EXIT_CODES.refused, 'the proxy refused: wrong or missing API key (401/403), a rejected body or NDJSON line (400/413/422), an unknown id (404): any 4xx'],
  [EXIT_CODES.unreachable, 'the proxy could not be reached: connection refused, DNS, timeout'],
  [EXIT_CODES.unexpected, 'anything else: the proxy failed (5xx) or answered something unreadable'],
  [EXIT_CODES.usage, 'usage error: bad arguments, an unreadable file'],
];

import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

/** The logger every service and lib uses: pino, JSON lines. */
export type Logger = PinoLogger;

/** Log levels, most severe first; `silent` turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Header names whose values never reach a log line, wherever headers are logged. */
export const REDACTED_HEADERS = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'proxy-authorization'] as const;

/**
 * Keys under which request/response objects (with their `headers`) are logged. `req`/`res` are
 * Fastify's own (its serializers log no headers); `request`/`response` are plain objects, e.g.
 * an outbound call.
 */
const HTTP_KEYS = ['req', 'res', 'request', 'response'] as const;
const PLAIN_HTTP_KEYS = ['request', 'response'] as const;

export interface LoggerOptions {
  /** Name of the service, on every line as `service`. */
  readonly service: string;
  readonly level?: LogLevel;
  /** Extra pino redact paths (lower-case), e.g. `['envelope.request.body']`. */
  readonly redact?: readonly string[];
  /** More header names to redact wherever headers are logged (e.g. a tenant's own auth header). */
  readonly redactHeaders?: readonly string[];
  /** Where lines go; stdout when omitted (tests pass a stream). */
  readonly destination?: DestinationStream;
}

const headerPaths = (names: readonly string[], prefix: string): string[] => names.map((name) => `${prefix}headers["${name.toLowerCase()}"]`);

/** Redact paths for header names: top level and under each HTTP key. */
const redactedHeaderPaths = (names: readonly string[]): string[] => [
  ...headerPaths(names, ''),
  ...HTTP_KEYS.flatMap((key) => headerPaths(names, `${key}.`)),
];

/** Default redact paths: the secret headers, top level and under each HTTP key. */
export const DEFAULT_REDACT_PATHS: readonly string[] = redactedHeaderPaths(REDACTED_HEADERS);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/**
 * pino's redaction is case-sensitive while HTTP header names are not, and outbound requests
 * carry user-cased names (`Authorization`). Lower-casing header names before redaction makes
 * the lower-case paths catch every spelling. Only plain objects are rewritten: class
 * instances (a Fastify request, say) are left to their own serializers.
 */
function lowerCaseNames(headers: unknown): unknown {
  if (!isPlainObject(headers)) return headers;
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function withLowerCaseHeaders(value: unknown): unknown {
  return isPlainObject(value) && 'headers' in value ? { ...value, headers: lowerCaseNames(value['headers']) } : value;
}

/**
 * Creates the service's logger: JSON lines with `level` (label), ISO `time`, `service`, `pid`,
 * `hostname`, and secret headers redacted as `[redacted]`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const serializers = {
    headers: lowerCaseNames,
    ...Object.fromEntries(PLAIN_HTTP_KEYS.map((key) => [key, withLowerCaseHeaders])),
  };
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers,
    redact: {
      paths: [...DEFAULT_REDACT_PATHS, ...redactedHeaderPaths(options.redactHeaders ?? []), ...(options.redact ?? [])],
      censor: '[redacted]',
    },
  };
  // Without a destination pino writes to stdout asynchronously and flushes on process exit.
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

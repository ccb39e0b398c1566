import type { TransportErrorCode } from '@parc/backoff';
import type { AttemptError } from '@parc/envelope';

/** The egress policy refused the destination, before connecting or right after. */
export class DestinationBlockedError extends Error {
  readonly code = 'PARC_DESTINATION_BLOCKED';
  override readonly name = 'DestinationBlockedError';
}

/** A host name did not resolve; whatever the resolver's errno, this is a DNS failure. */
export class DnsLookupError extends Error {
  readonly code = 'PARC_DNS_FAILURE';
  override readonly name = 'DnsLookupError';

  constructor(hostname: string, cause: unknown) {
    const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    super(`DNS lookup of ${hostname} failed (${detail})`, { cause });
  }
}

/**
 * Where an attempt was when it failed. `connecting`: before the request reached a connection
 * (DNS, TCP, TLS, or a pooled connection not yet free); `waiting`: request sent, no response
 * headers yet; `receiving`: headers received, body being read.
 */
export type Phase = 'connecting' | 'waiting' | 'receiving';

/** What the messages may mention: `host:port` only, never the path or query (they carry secrets). */
export interface FailureContext {
  readonly target: string;
  readonly phase: Phase;
  readonly timeoutMs: number;
}

const CODES: Readonly<Record<string, TransportErrorCode>> = {
  PARC_DESTINATION_BLOCKED: 'destination_blocked',
  PARC_DNS_FAILURE: 'dns_failure',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  ECONNABORTED: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  ENOTFOUND: 'dns_failure',
  EAI_AGAIN: 'dns_failure',
  EAI_FAIL: 'dns_failure',
  EAI_NONAME: 'dns_failure',
  EAI_NODATA: 'dns_failure',
  ENODATA: 'dns_failure',
  UND_ERR_HEADERS_OVERFLOW: 'response_too_large',
  UND_ERR_INVALID_ARG: 'invalid_request',
  UND_ERR_NOT_SUPPORTED: 'invalid_request',
  ERR_INVALID_HTTP_TOKEN: 'invalid_request',
  ERR_INVALID_CHAR: 'invalid_request',
};

/** OpenSSL and Node TLS codes: ERR_TLS_*, ERR_SSL_*, and X.509 verification results. */
const TLS_CODE = /^ERR_(?:TLS|SSL)_|CERT|SELF_SIGNED|UNABLE_TO_(?:GET|VERIFY|DECRYPT|DECODE)|HOSTNAME_MISMATCH/;

const PHASE_TEXT: Readonly<Record<Phase, string>> = {
  connecting: 'while connecting',
  waiting: 'before the response headers',
  receiving: 'while reading the response body',
};

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** One line, no stack, bounded: error texts from Node and undici name hosts, not payloads. */
function detailOf(error: unknown): string {
  const code = codeOf(error);
  const text = error instanceof Error ? error.message : String(error);
  const line = (text.split('\n')[0] ?? '').slice(0, 200);
  return code && !line.includes(code) ? `${code}: ${line}` : line;
}

function transportCode(error: unknown, phase: Phase): TransportErrorCode {
  const code = codeOf(error) ?? '';
  const mapped = CODES[code];
  if (mapped) return mapped;
  if (TLS_CODE.test(code)) return 'tls_failure';
  // The kernel's own connect timeout; once connected, ETIMEDOUT means keep-alive probes failed.
  if (code === 'ETIMEDOUT') return phase === 'connecting' ? 'connect_timeout' : 'connection_reset';
  return 'network_error';
}

/** The record for an attempt that ran out of time, worded by how far it got. */
export function timeoutFailure({ target, phase, timeoutMs }: FailureContext): AttemptError {
  switch (phase) {
    case 'connecting':
      return { code: 'connect_timeout', message: `no connection to ${target} within ${timeoutMs} ms` };
    case 'waiting':
      return { code: 'timeout', message: `no response headers from ${target} within ${timeoutMs} ms` };
    case 'receiving':
      return { code: 'timeout', message: `the response body from ${target} was not complete within ${timeoutMs} ms` };
  }
}

/** Maps an error from DNS, the connector or undici to a transport code and a human message. */
export function classifyFailure(error: unknown, context: FailureContext): AttemptError {
  const code = transportCode(error, context.phase);
  const { target, phase } = context;
  switch (code) {
    case 'destination_blocked':
      return { code, message: error instanceof Error ? error.message : String(error) };
    case 'dns_failure':
      return { code, message: error instanceof DnsLookupError ? error.message : `DNS lookup for ${target} failed (${detailOf(error)})` };
    case 'timeout':
      return timeoutFailure(context);
    case 'connect_timeout':
      return { code, message: `connecting to ${target} timed out (${detailOf(error)})` };
    case 'connection_refused':
      return { code, message: `${target} refused the connection` };
    case 'connection_reset':
      return { code, message: `the connection to ${target} was reset or closed ${PHASE_TEXT[phase]} (${detailOf(error)})` };
    case 'tls_failure':
      return { code, message: `TLS with ${target} failed: ${detailOf(error)}` };
    case 'response_too_large':
      return { code, message: `the response headers from ${target} are too large (${detailOf(error)})` };
    case 'invalid_request':
      return { code, message: `the HTTP client refused the request: ${detailOf(error)}` };
    default:
      return { code, message: `network error with ${target} ${PHASE_TEXT[phase]}: ${detailOf(error)}` };
  }
}

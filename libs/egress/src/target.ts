import { hasEmptyHostLabel, type AttemptError } from '@parc/envelope';

/** Where a request goes, as the WHATWG URL parser understood it. */
export interface Target {
  /** `scheme://host:port`: the key of the connection pool. */
  readonly origin: string;
  /** Path and query string, as sent on the request line (the fragment is never sent). */
  readonly path: string;
  /** Host without brackets (`::1`, `example.com`): the key of the per-host cap. */
  readonly host: string;
  readonly port: number;
  /** `host:port` for messages (never the path or query: they may carry secrets). */
  readonly label: string;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

const invalid = (message: string): AttemptError => ({ code: 'invalid_request', message });

/**
 * Parses a request URL. The checks that follow use the parsed host only: WHATWG parsing turns
 * `http://2130706433/`, `http://0x7f.1/`, `http://0177.0.0.1/` and `http://127.1/` into
 * 127.0.0.1, so checking the string would miss them. Returns an `invalid_request` error for
 * what cannot be sent, including a host with an empty label (`localhost..`), which no resolver
 * answers.
 */
export function parseTarget(url: string): Target | AttemptError {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return invalid('the URL is not a valid absolute URL');
  }
  const defaultPort = DEFAULT_PORTS[parsed.protocol];
  if (defaultPort === undefined) return invalid(`the URL scheme must be http or https, not ${parsed.protocol.slice(0, -1)}`);
  if (parsed.username !== '' || parsed.password !== '') return invalid('the URL must not contain credentials');
  // Intake refuses these too; an envelope accepted before it did must still end, not be retried.
  if (hasEmptyHostLabel(parsed.hostname)) return invalid(`the URL host ${JSON.stringify(parsed.hostname)} has an empty label`);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  return {
    origin: parsed.origin,
    path: `${parsed.pathname}${parsed.search}`,
    host,
    port,
    label: `${parsed.hostname}:${port}`,
  };
}

/** Narrows the result of {@link parseTarget}. */
export function isTarget(value: Target | AttemptError): value is Target {
  return 'origin' in value;
}

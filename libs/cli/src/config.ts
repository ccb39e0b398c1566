import { CliError } from './errors';

/** The embedded mode of `npm start`: no key needed on loopback. */
export const DEFAULT_PARC_URL = 'http://127.0.0.1:8080';

/** Where the proxy is and how to authenticate: from the environment, overridden by flags. */
export interface CliConfig {
  /** The proxy's base URL without a trailing slash, e.g. `http://127.0.0.1:8080` or `https://parc.example.com/api`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; none by default. */
  readonly apiKey: string | undefined;
}

/** The environment variables `parc` reads (the launcher passes them in; this lib never reads `process.env`). */
export interface CliEnv {
  readonly PARC_URL?: string | undefined;
  readonly PARC_API_KEY?: string | undefined;
}

/** The flags that override the environment. */
export interface ConnectionFlags {
  readonly url?: string | undefined;
  readonly apiKey?: string | undefined;
}

const present = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/**
 * Resolves the connection settings once per run: `--url` over `PARC_URL` over the default,
 * `--api-key` over `PARC_API_KEY`. Empty values count as unset.
 * @throws CliError USAGE when the URL is not an absolute http(s) URL.
 */
export function resolveConfig(env: CliEnv, flags: ConnectionFlags): CliConfig {
  const fromFlag = present(flags.url);
  const raw = fromFlag ?? present(env.PARC_URL) ?? DEFAULT_PARC_URL;
  const source = fromFlag !== undefined ? '--url' : present(env.PARC_URL) !== undefined ? 'PARC_URL' : 'the default URL';
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch (error) {
    throw new CliError('USAGE', `${source} ${raw} is not a URL: give the proxy's address, e.g. ${DEFAULT_PARC_URL}`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError('USAGE', `${source} ${raw} is not an http(s) URL: give the proxy's address, e.g. ${DEFAULT_PARC_URL}`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new CliError('USAGE', `${source} ${raw} has a query or fragment: give only the proxy's address`);
  }
  const baseUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  return Object.freeze({ baseUrl, apiKey: present(flags.apiKey) ?? present(env.PARC_API_KEY) });
}

import type { Readable } from 'node:stream';
import type { CliConfig } from './config';
import { CliError } from './errors';
import { httpUpload, type StreamUpload } from './upload';

/** The part of `fetch` the client uses; injected so that tests need no network. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Settings of a {@link ProxyClient}. */
export interface ProxyClientOptions {
  readonly config: CliConfig;
  readonly fetch: FetchLike;
  /** Sends streamed bodies; default node:http(s) ({@link httpUpload}). */
  readonly upload?: StreamUpload;
  /** How long a plain call (status, cancel, dead letters) may take, connecting included. Default 30 s. */
  readonly timeoutMs?: number;
}

/** One call to the proxy. */
export interface CallOptions {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** A results stream lasts as long as it needs: no overall timeout. */
  readonly streaming?: boolean;
  /** Gives the call up (a stream the command no longer needs). */
  readonly signal?: AbortSignal;
}

/** The house error body of the proxy (docs/errors.md). */
interface ErrorBody {
  readonly error?: { readonly code?: string; readonly message?: string; readonly details?: readonly { path?: string; message?: string; index?: number }[] };
  readonly accepted?: { readonly batchId?: string; readonly ids?: readonly string[] };
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Network error codes (Node and undici) and what they mean to a person. */
const TRANSPORT_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused; is it running? (npm start)',
  ENOTFOUND: 'the host name does not resolve (DNS)',
  EAI_AGAIN: 'the host name could not be resolved just now (DNS)',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  ETIMEDOUT: 'timed out connecting',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while sending',
  UND_ERR_SOCKET: 'the connection was closed',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'the answer stalled',
};

/** The first `code` along an error's `cause` chain (and inside an AggregateError of connection attempts). */
export function transportCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (current instanceof AggregateError) {
      const inner = current.errors.map(transportCode).find((c) => c !== undefined);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** Why a call never got an answer, in words. */
export function transportReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const code = transportCode(error);
  if (code !== undefined && TRANSPORT_REASONS[code] !== undefined) return TRANSPORT_REASONS[code];
  if (code !== undefined && /CERT|TLS|SSL/.test(code)) return `TLS failed (${code})`;
  const innermost = innermostMessage(error);
  return code === undefined ? `network error: ${innermost}` : `network error (${code}): ${innermost}`;
}

function innermostMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** A connection-level failure as the CLI's UNREACHABLE error. */
export function unreachable(baseUrl: string, error: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): CliError {
  return new CliError('UNREACHABLE', `cannot reach the proxy at ${baseUrl}: ${transportReason(error, timeoutMs)}`, { cause: error });
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as ErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Lines naming each field the proxy complained about, and what it accepted before failing. */
function detailLines(body: ErrorBody | undefined): string[] {
  const lines = (body?.error?.details ?? []).map((d) => `  ${d.path ?? '(body)'}: ${d.message ?? ''}`);
  const accepted = body?.accepted;
  if (accepted?.batchId !== undefined) {
    lines.push(
      `${accepted.ids?.length ?? 0} requests were accepted into batch ${accepted.batchId} before the stream failed; ` +
        'submitting the same file again with the same --idempotency-key completes that batch',
    );
  }
  return lines;
}

/**
 * A non-2xx answer as a CliError: 4xx → REFUSED (exit 3), anything else → UNEXPECTED (exit 1),
 * with the proxy's code, message and field details.
 */
export function httpFailure(status: number, text: string, config: CliConfig, retryAfter?: string | null): CliError {
  const body = parseErrorBody(text);
  const code = body?.error?.code;
  const said = body?.error?.message ?? (text.trim().slice(0, 300) || '(empty body)');
  const tag = code === undefined ? `${status}` : `${status} ${code}`;
  const details = detailLines(body);
  if (status === 401) {
    const message =
      config.apiKey === undefined
        ? `the proxy wants an API key (${tag}): set PARC_API_KEY or --api-key`
        : `the proxy refused the API key (${tag}): set PARC_API_KEY or --api-key`;
    return new CliError('REFUSED', message, { status, details });
  }
  if (status === 403) {
    return new CliError('REFUSED', `the API key may not use this route (${tag}): ${said}; operator routes need an operator key`, { status, details });
  }
  if (status >= 400 && status < 500) return new CliError('REFUSED', `the proxy refused the request (${tag}): ${said}`, { status, details });
  const retry = retryAfter ? `; it asks to retry after ${retryAfter} s` : '';
  return new CliError('UNEXPECTED', `the proxy failed (${tag}): ${said}${retry}`, { status, details });
}

/** HTTP calls to the proxy's API with the configured URL and key; every failure becomes a {@link CliError}. */
export class ProxyClient {
  readonly config: CliConfig;
  private readonly fetch: FetchLike;
  private readonly uploader: StreamUpload;
  private readonly timeoutMs: number;

  constructor(options: ProxyClientOptions) {
    this.config = options.config;
    this.fetch = options.fetch;
    this.uploader = options.upload ?? httpUpload;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The absolute URL of an API path with its query (undefined values left out). */
  url(path: string, query: Readonly<Record<string, string | undefined>> = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
    const search = params.toString();
    return `${this.config.baseUrl}${path}${search === '' ? '' : `?${search}`}`;
  }

  /**
   * Performs one call and returns the 2xx response, its body unread.
   * @throws CliError UNREACHABLE (no answer), REFUSED (4xx) or UNEXPECTED (5xx).
   */
  async call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const init: RequestInit = { method, headers: this.headers(options.headers) };
    if (options.body !== undefined) init.body = options.body;
    const signals = [...(options.streaming === true ? [] : [AbortSignal.timeout(this.timeoutMs)]), ...(options.signal === undefined ? [] : [options.signal])];
    if (signals.length > 0) init.signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    return this.checked(() => this.fetch(this.url(path, options.query), init));
  }

  /** POSTs a stream as the body (no overall timeout); the 2xx response, its body unread. Same failures as {@link call}. */
  async upload(path: string, headers: Readonly<Record<string, string>>, body: Readable): Promise<Response> {
    return this.checked(() => this.uploader(this.url(path), { method: 'POST', headers: this.headers(headers), body }));
  }

  private headers(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson', ...extra };
    if (this.config.apiKey !== undefined) headers['authorization'] = `Bearer ${this.config.apiKey}`;
    return headers;
  }

  private async checked(send: () => Promise<Response>): Promise<Response> {
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      throw unreachable(this.config.baseUrl, error, this.timeoutMs);
    }
    if (response.ok) return response;
    const text = await this.text(response);
    throw httpFailure(response.status, text, this.config, response.headers.get('retry-after'));
  }

  /** Performs one call and parses its JSON answer. */
  async json<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const response = await this.call(method, path, options);
    return parseJson<T>(await this.text(response), `${method} ${path}`);
  }

  /** The body as text; a connection lost while reading it is UNREACHABLE. */
  async text(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw unreachable(this.config.baseUrl, error, this.timeoutMs);
    }
  }
}

/** Parses an answer that must be JSON. @throws CliError UNEXPECTED when it is not. */
export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new CliError('UNEXPECTED', `the proxy's answer to ${what} is not JSON: ${text.slice(0, 200)}`, { cause: error });
  }
}

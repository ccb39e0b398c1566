import { PassThrough, Readable } from 'node:stream';
import type { Clock } from './clock';
import type { CliIo } from './program';
import type { FetchLike } from './http';
import type { StreamUpload } from './upload';

/** How the client reaches the proxy: fetch for calls, upload for streamed bodies (default: the real one). */
export interface Transport {
  readonly fetch: FetchLike;
  readonly upload?: StreamUpload;
}

/** One call the fake proxy received. */
export interface ReceivedCall {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** Answers one call: a Response, or an Error to throw as fetch does when there is no answer. */
export type Route = (call: ReceivedCall) => Response | Error | Promise<Response | Error>;

/** A JSON answer. */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** The house error body. */
export const errorBody = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): Response =>
  json(status, { error: { code, message, ...extra } });

/** What fetch throws when nothing listens: `TypeError('fetch failed')` caused by ECONNREFUSED. */
export function refused(): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' }) });
}

/** A streamed NDJSON answer: the chunks, then either the end or an error (a broken connection). */
export function ndjsonStream(chunks: readonly string[], breakWith?: Error): Response {
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[index++]));
      else if (breakWith !== undefined) controller.error(breakWith);
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
}

/**
 * A fake proxy: fetch and upload answer from routes keyed `METHOD /path` (the query is left to
 * the route), and every call is recorded with its body read whole.
 */
export function fakeFetch(routes: Record<string, Route>): { transport: Required<Transport>; calls: ReceivedCall[] } {
  const calls: ReceivedCall[] = [];
  const answer = async (url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<Response> => {
    const parsed = new URL(url);
    const call: ReceivedCall = { method, url: parsed, headers: { ...headers }, body };
    calls.push(call);
    const route = routes[`${method} ${parsed.pathname}`];
    if (route === undefined) return errorBody(404, 'NOT_FOUND', `no route ${method} ${parsed.pathname}`);
    const result = await route(call);
    if (result instanceof Error) throw result;
    return result;
  };
  const fetch: FetchLike = async (url, init) =>
    answer(url, init.method ?? 'GET', init.headers as Record<string, string>, init.body === undefined || init.body === null ? undefined : await new Response(init.body).text());
  const upload: StreamUpload = async (url, init) => {
    const chunks: Buffer[] = [];
    for await (const chunk of init.body) chunks.push(Buffer.from(chunk as Buffer));
    return answer(url, init.method, { ...init.headers }, Buffer.concat(chunks).toString('utf8'));
  };
  return { transport: { fetch, upload }, calls };
}

/** A clock whose sleeps pass at once, moving its time forward. */
export function fakeClock(startMs = 1_000_000): Clock & { readonly elapsed: () => number } {
  let now = startMs;
  return {
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) return;
      now += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
    elapsed: () => now - startMs,
  };
}

/** A writable that keeps what it got, optionally posing as a terminal. */
export class Captured extends PassThrough {
  readonly isTTY: boolean;
  readonly columns = 200;
  private readonly parts: Buffer[] = [];

  constructor(tty = false) {
    super();
    this.isTTY = tty;
    this.on('data', (chunk: Buffer) => this.parts.push(chunk));
  }

  get text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/** An io for runCli around a fake fetch and clock. */
export function fakeIo(transport: Transport, options: { stdin?: string | Readable; tty?: boolean; env?: CliIo['env']; clock?: Clock } = {}) {
  const stdout = new Captured();
  const stderr = new Captured(options.tty ?? false);
  const io: CliIo = {
    env: options.env ?? {},
    stdin: options.stdin instanceof Readable ? options.stdin : Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout,
    stderr,
    fetch: transport.fetch,
    ...(transport.upload === undefined ? {} : { upload: transport.upload }),
    clock: options.clock ?? fakeClock(),
    random: () => 0.5,
    timings: { pollMs: 500, lineIntervalMs: 2_000, patienceMs: 10_000, requestTimeoutMs: 5_000 },
    version: '0.0.0-test',
  };
  return { io, stdout, stderr };
}

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseScript, ScriptError, stepFor, type Script, type Step } from './script';

/** One request the target server received, in arrival order. */
export interface TargetCall {
  /** When the request arrived: epoch milliseconds with sub-millisecond precision, monotonic. */
  readonly receivedAt: number;
  readonly method: string;
  /** Path and query string, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Length of the request body in bytes. */
  readonly bodyBytes: number;
  /** The counter key (the `key` parameter, else `url`). */
  readonly key: string;
  /** 1-based number of this call among the calls with the same key. */
  readonly attempt: number;
  /** Index of the `seq` step served (0-based); undefined for requests without `seq`. */
  readonly step: number | undefined;
  /** The status sent, `reset`, `hang`, or `invalid` (a malformed script, answered 400). */
  readonly outcome: number | 'reset' | 'hang' | 'invalid';
}

/** A running target server. */
export interface TargetServer {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Every call since start or the last `reset()`, in arrival order (a live view). */
  readonly calls: readonly TargetCall[];
  /** Calls per key since start or the last `reset()` (a live view). */
  readonly callCounts: ReadonlyMap<string, number>;
  /** The calls made with `key`, in order. */
  callsFor(key: string): TargetCall[];
  /** Builds a URL on this server: `urlFor('/x', { seq: '503,200', key: 'a' })`. */
  urlFor(path?: string, params?: Record<string, string | number>): string;
  /** Forgets the recorded calls and the per-key counters (sequences start over). */
  reset(): void;
  /** Stops listening, destroys open and hanging connections and cancels pending delays. */
  close(): Promise<void>;
}

export interface TargetServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
}

const now = (): number => performance.timeOrigin + performance.now();

/**
 * Starts the scriptable HTTP target server (node:http, for raw socket control). Each request's
 * query string scripts its answer: latency, status, Retry-After, body size, connection reset,
 * hanging, and per-key sequences across attempts. See libs/testing/README.md for the grammar.
 */
export async function startTargetServer(options: TargetServerOptions = {}): Promise<TargetServer> {
  const host = options.host ?? '127.0.0.1';
  let calls: TargetCall[] = [];
  let counts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let closed = false;

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve();
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = now();
    const url = req.url ?? '/';
    let bodyBytes = 0;
    for await (const chunk of req) bodyBytes += (chunk as Buffer).length;

    let script: Script;
    try {
      const parsed = new URL(url, 'http://target.invalid');
      script = parseScript(parsed.searchParams, url);
    } catch (error) {
      const key = url;
      const attempt = bump(key);
      calls.push({ receivedAt, method: req.method ?? 'GET', url, headers: req.headers, bodyBytes, key, attempt, step: undefined, outcome: 'invalid' });
      const message = error instanceof ScriptError ? error.message : String(error);
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-parc-target-error': message.slice(0, 200) });
      res.end(`target server: ${message}\n`);
      return;
    }

    const attempt = bump(script.key);
    const { step, index } = stepFor(script, attempt);
    const outcome = step.action.kind === 'respond' ? step.action.status : step.action.kind;
    const call: TargetCall = {
      receivedAt,
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      bodyBytes,
      key: script.key,
      attempt,
      step: script.sequenced ? index : undefined,
      outcome,
    };
    calls.push(call);
    await delay(step.latencyMs);
    if (closed) return;
    await answer(req, res, step, call);
  };

  const bump = (key: string): number => {
    const attempt = (counts.get(key) ?? 0) + 1;
    counts.set(key, attempt);
    return attempt;
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, step: Step, call: TargetCall): Promise<void> => {
    const { action } = step;
    if (action.kind === 'hang') return; // the socket stays open until the client gives up or close()
    if (action.kind === 'reset') {
      // RST instead of FIN: the client sees ECONNRESET, as when a server process dies mid-request.
      req.socket.resetAndDestroy();
      return;
    }
    const noBody = req.method === 'HEAD' || action.status === 204 || action.status === 304;
    const body = noBody
      ? Buffer.alloc(0)
      : step.bodyBytes !== undefined
        ? Buffer.alloc(step.bodyBytes, 'x')
        : Buffer.from(`${JSON.stringify({ key: call.key, attempt: call.attempt, step: call.step ?? null, status: action.status })}\n`);
    const headers: Record<string, string | number> = {
      'content-type': step.bodyBytes !== undefined ? 'application/octet-stream' : 'application/json',
      'x-parc-target-key': encodeURIComponent(call.key),
      'x-parc-target-attempt': call.attempt,
    };
    if (!noBody) headers['content-length'] = body.length;
    if (call.step !== undefined) headers['x-parc-target-step'] = call.step;
    if (action.retryAfter !== undefined) headers['retry-after'] = action.retryAfter;
    res.writeHead(action.status, headers);
    if (step.bodyDelayMs > 0 && body.length > 0) {
      res.flushHeaders();
      await delay(step.bodyDelayMs);
      if (closed) return;
    }
    res.end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A client that hung up mid-body, or close() during a delay: nothing left to answer.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`target server bug: ${String(error)}\n`);
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A reset socket emits an error on the server side too; it is the scripted outcome, not a fault.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: origin,
    port,
    get calls() {
      return calls;
    },
    get callCounts() {
      return counts;
    },
    callsFor: (key) => calls.filter((call) => call.key === key),
    urlFor(path = '/', params = {}) {
      const target = new URL(path, origin);
      for (const [name, value] of Object.entries(params)) target.searchParams.set(name, String(value));
      return target.toString();
    },
    reset() {
      calls = [];
      counts = new Map();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await stopped;
    },
  };
}

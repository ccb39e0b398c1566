import { HTTP_METHODS, type AttemptError, type AttemptRecord, type TraceContext } from '@parc/envelope';
import { rootCertificates } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import { onAbort } from './abort';
import { guardedConnector, systemLookup, type LookupFunction } from './connector';
import { Exchange, type Outcome } from './exchange';
import { HostGates } from './host-gates';
import { fixedDestination } from './host-names';
import type { EgressPolicy } from './policy';
import { OriginPools } from './pools';
import { isTarget, parseTarget, type Target } from './target';
import { DEFAULT_USER_AGENT } from './version';

/** One outbound HTTP request. */
export interface HttpRequest {
  /** One of `HTTP_METHODS` from `@parc/envelope`, upper case; any other ends as `invalid_request`. */
  readonly method: string;
  /** Absolute http(s) URL. */
  readonly url: string;
  /** Sent as given; hop-by-hop and framing headers are refused by undici (`invalid_request`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** Bounds connect + response headers + response body (time spent queued for the host is not counted). */
  readonly timeoutMs: number;
  /**
   * The W3C trace context to send as `traceparent` (and `tracestate`), unless `headers` has a
   * traceparent of its own: the user's header wins, and so does a tracestate of theirs.
   */
  readonly trace?: TraceContext;
}

/** Per call. */
export interface CallOptions {
  /**
   * Gives the call up while it is not sent yet (queued for a slot of its host), as `signal`
   * would; once sent, only `signal` cuts it short. A closing stage passes its closing signal here:
   * a call that has not started goes back to the queue with its batch, a call under way finishes.
   */
  readonly unsent?: AbortSignal;
}

/** How the caller behaves; only `policy` and `maxResponseBodyBytes` have no default. */
export interface HttpCallerOptions {
  /** Which destinations may be reached. */
  readonly policy: EgressPolicy;
  /** Response body bytes kept per attempt; reading stops past it and `bodyTruncated` is set. */
  readonly maxResponseBodyBytes: number;
  /** Concurrent calls per host (URL host name); more wait in FIFO order. Default 32. */
  readonly maxConcurrentPerHost?: number;
  /** Bytes of response header names + values recorded per attempt. Default 16 KiB. */
  readonly maxRecordedHeaderBytes?: number;
  /** Budget of one new TCP + TLS connection, also bounded by the request's timeoutMs. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** An unused keep-alive connection is closed after this (servers' Keep-Alive hints can lower it). Default 4 s. */
  readonly keepAliveTimeoutMs?: number;
  /** An origin's pool is closed when it has had no call for this long. Default 60 s. */
  readonly poolIdleTimeoutMs?: number;
  /** Sent unless the request has its own User-Agent. Default `parc/<version>`. */
  readonly userAgent?: string;
  /** Host name resolution (tests inject one). Default: `dns.lookup` with `all: true`. */
  readonly lookup?: LookupFunction;
  /** Epoch ms, for startedAt, durationMs and Retry-After dates. Default `Date.now`. */
  readonly now?: () => number;
  /** PEM certificates trusted for https in addition to Node's root store (private CAs, tests). */
  readonly extraCaCertificates?: readonly string[];
}

/** The defaults of the optional {@link HttpCallerOptions}. */
export const HTTP_CALLER_DEFAULTS = Object.freeze({
  maxConcurrentPerHost: 32,
  maxRecordedHeaderBytes: 16 * 1024,
  connectTimeoutMs: 10_000,
  keepAliveTimeoutMs: 4_000,
  poolIdleTimeoutMs: 60_000,
});

/** Response headers larger than this fail the attempt with `response_too_large` (undici's limit is 16 KiB). */
export const MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

/** setTimeout's ceiling: longer delays fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkedInteger(label: string, value: number | undefined, min: number): number {
  if (value === undefined || !Number.isSafeInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new RangeError(`${label} must be an integer from ${min} to ${MAX_TIMER_MS}, got ${String(value)}`);
  }
  return value;
}

const option = (name: string, value: number | undefined, min: number): number =>
  checkedInteger(`HttpCaller option ${name}`, value, min);

/**
 * Runs `settle` once undici has put the connection back in its pool. With pipelining 1, undici
 * marks a client free in a setImmediate queued right after the response's end callback; a call
 * settled before that makes the next call open a second connection to the same origin. A
 * microtask runs after the end callback returns, so the setImmediate queued from it comes
 * after undici's.
 */
function afterConnectionFreed(settle: () => void): void {
  queueMicrotask(() => setImmediate(settle));
}

/**
 * Envelopes are read between stages without validation, so one accepted before intake refused
 * TRACE, CONNECT or a lower-case method may still arrive: it ends as `invalid_request` (final)
 * instead of being sent.
 */
function methodRefusal(method: string): AttemptError | undefined {
  if ((HTTP_METHODS as readonly string[]).includes(method)) return undefined;
  return { code: 'invalid_request', message: `the method ${JSON.stringify(method)} is not one Parc performs (${HTTP_METHODS.join(', ')})` };
}

/**
 * The headers sent: the request's own, plus Parc's User-Agent and the trace headers where the
 * request has none of its own (header names are case-insensitive). One pass over the names.
 */
function outgoingHeaders(request: HttpRequest, userAgent: string): Readonly<Record<string, string>> {
  let agent = false;
  let parent = false;
  let state = false;
  for (const name of Object.keys(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'user-agent') agent = true;
    else if (lower === 'traceparent') parent = true;
    else if (lower === 'tracestate') state = true;
  }
  const trace = parent ? undefined : request.trace;
  if (agent && trace === undefined) return request.headers;
  const added: Record<string, string> = agent ? {} : { 'user-agent': userAgent };
  if (trace !== undefined) {
    added['traceparent'] = trace.traceparent;
    if (trace.tracestate !== undefined && !state) added['tracestate'] = trace.tracestate;
  }
  return { ...added, ...request.headers };
}

/**
 * Performs outbound HTTP under the egress policy and reports each call as an attempt record.
 * One keep-alive undici Pool per origin (closed when idle), a FIFO concurrency cap per host,
 * a hard per-attempt deadline, capped response bodies, no redirects. `call` never throws for a
 * failed call: every failure is a record with an error code.
 */
export class HttpCaller {
  private readonly policy: EgressPolicy;
  private readonly maxBodyBytes: number;
  private readonly maxHeaderBytes: number;
  private readonly userAgent: string;
  private readonly now: () => number;
  private readonly gates: HostGates;
  private readonly pools: OriginPools;
  private closing: Promise<void> | undefined;

  /** Throws RangeError for an out-of-range option. */
  constructor(options: HttpCallerOptions) {
    const defaults = HTTP_CALLER_DEFAULTS;
    this.policy = options.policy;
    this.maxBodyBytes = option('maxResponseBodyBytes', options.maxResponseBodyBytes, 0);
    this.maxHeaderBytes = option('maxRecordedHeaderBytes', options.maxRecordedHeaderBytes ?? defaults.maxRecordedHeaderBytes, 0);
    const perHost = option('maxConcurrentPerHost', options.maxConcurrentPerHost ?? defaults.maxConcurrentPerHost, 1);
    const keepAliveTimeout = option('keepAliveTimeoutMs', options.keepAliveTimeoutMs ?? defaults.keepAliveTimeoutMs, 1);
    const idleMs = option('poolIdleTimeoutMs', options.poolIdleTimeoutMs ?? defaults.poolIdleTimeoutMs, 1);
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.now = options.now ?? Date.now;
    this.gates = new HostGates(perHost);
    const connect = guardedConnector({
      policy: options.policy,
      lookup: options.lookup ?? systemLookup,
      connectTimeoutMs: option('connectTimeoutMs', options.connectTimeoutMs ?? defaults.connectTimeoutMs, 1),
      ca: options.extraCaCertificates && [...rootCertificates, ...options.extraCaCertificates],
    });
    // Pool connections = the per-host cap: the gate, not undici's queue, decides who waits.
    const poolOptions = { connections: perHost, connect, keepAliveTimeout, maxHeaderSize: MAX_RESPONSE_HEADER_BYTES };
    this.pools = new OriginPools((origin) => new Pool(origin, poolOptions), idleMs);
  }

  /** Calls holding a per-host slot (connecting, sending or receiving). */
  get inFlight(): number {
    return this.gates.active;
  }

  /** Calls queued behind their host's concurrency cap. */
  get waiting(): number {
    return this.gates.waiting;
  }

  /** Origins with an open connection pool. */
  get openPools(): number {
    return this.pools.size;
  }

  /**
   * Performs one attempt. Resolves with its record, whatever happened on the network. Rejects
   * only with `signal.reason` when the caller's signal aborts (nothing is recorded then), or with
   * `options.unsent`'s reason when that aborts while the request is not sent yet (queued for the
   * host's slot), and throws for programmer errors: a bad `timeoutMs`, or a call after `close()`.
   */
  async call(request: HttpRequest, signal?: AbortSignal, options: CallOptions = {}): Promise<AttemptRecord> {
    if (this.closing) throw new Error('HttpCaller.call() after close()');
    checkedInteger('HttpCaller.call: request.timeoutMs', request.timeoutMs, 1);
    signal?.throwIfAborted();
    options.unsent?.throwIfAborted();
    const target = parseTarget(request.url);
    if (!isTarget(target)) return this.refused(target);
    const method = methodRefusal(request.method);
    if (method !== undefined) return this.refused(method);
    // IP literals and localhost names are judged here, so a refused call never reaches a pool,
    // a socket or the per-host queue; the connector judges them again, and resolves the rest.
    const fixed = fixedDestination(this.policy, target.host, target.port);
    if (fixed !== undefined && 'refusal' in fixed) return this.refused({ code: 'destination_blocked', message: fixed.refusal });
    if (!this.gates.tryAcquire(target.host)) await this.gates.wait(target.host, signal, options.unsent);
    try {
      signal?.throwIfAborted();
      options.unsent?.throwIfAborted();
      return await this.attempt(target, request, signal);
    } finally {
      this.gates.release(target.host);
    }
  }

  /** Stops accepting calls, waits for the calls already made, then closes every pool. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.gates.whenIdle().then(() => this.pools.closeAll());
    return this.closing;
  }

  private attempt(target: Target, request: HttpRequest, signal: AbortSignal | undefined): Promise<AttemptRecord> {
    const startedMs = this.now();
    const pool = this.pools.acquire(target.origin);
    return new Promise<AttemptRecord>((resolve, reject) => {
      const settings = {
        target: target.label,
        timeoutMs: request.timeoutMs,
        maxBodyBytes: this.maxBodyBytes,
        maxHeaderBytes: this.maxHeaderBytes,
        now: this.now,
      };
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        unsubscribe?.();
        afterConnectionFreed(() => {
          this.pools.release(target.origin);
          settle();
        });
      };
      const exchange = new Exchange(settings, (end) => {
        if (end.kind === 'cancelled') return finish(() => reject(end.reason));
        const record = this.record(startedMs, end.outcome); // timed now, not after the deferral
        finish(() => resolve(record));
      });
      // Our own deadline, not only undici's: it also covers DNS, connecting and a body that trickles.
      const timer = setTimeout(() => exchange.timeout(), request.timeoutMs);
      const unsubscribe = signal ? onAbort(signal, () => exchange.cancel(signal.reason)) : undefined;
      pool.dispatch(this.dispatchOptions(target, request), exchange);
    });
  }

  private dispatchOptions(target: Target, request: HttpRequest): Dispatcher.DispatchOptions {
    const { body } = request;
    return {
      method: request.method,
      path: target.path,
      headers: outgoingHeaders(request, this.userAgent),
      body: body === undefined ? null : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
    };
  }

  private refused(error: AttemptError): AttemptRecord {
    return this.record(this.now(), { error });
  }

  private record(startedMs: number, outcome: Outcome): AttemptRecord {
    return { startedAt: new Date(startedMs).toISOString(), durationMs: Math.max(0, this.now() - startedMs), ...outcome };
  }
}

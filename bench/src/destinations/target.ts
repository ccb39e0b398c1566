import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the target does with a call beyond its capacity. */
export type OverloadMode = 'shed' | '429' | 'slow';

/** Every overload mode, the default first. */
export const OVERLOAD_MODES: readonly OverloadMode[] = ['shed', '429', 'slow'];

export function isOverloadMode(value: string): value is OverloadMode {
  return (OVERLOAD_MODES as readonly string[]).includes(value);
}

export interface CapacityTargetOptions {
  /** Calls it serves at once (the hidden capacity N). */
  readonly capacity: number;
  /** Time it takes to serve a call once it has a slot, ms. */
  readonly latencyMs: number;
  /**
   * `shed`: N calls are served at once; a call beyond N waits in a FIFO queue (a server's accept
   * queue: its latency grows) and is served when a slot frees; when the queue already holds N
   * calls (2N at the target in all), a further call is answered at once with 429 and `Retry-After: 1`.
   * `429`: a call beyond N in flight is answered at once with 429 and `Retry-After: 1`.
   * `slow`: every call is served, and beyond N its latency grows in proportion to the excess
   * (latency × in flight / N: the target's throughput stays at N / latency, as a saturated server's).
   */
  readonly mode: OverloadMode;
  /** How often a sample is taken, ms (default 100). */
  readonly sampleMs?: number;
}

/** One sampling interval of the target (counts of calls that arrived or ended within it). */
export interface TargetSample {
  /** End of the interval, ms since the target's clock was started (`startClock`). */
  readonly tMs: number;
  /** Length of the interval, ms. */
  readonly durationMs: number;
  /** Calls being served, averaged over the interval (time-weighted); at most N in the shed and 429 modes. */
  readonly meanInFlight: number;
  /** Most calls served at once within the interval. */
  readonly maxInFlight: number;
  /** Calls waiting in the target's queue (shed mode; 0 otherwise), averaged over the interval (time-weighted). */
  readonly meanQueued: number;
  /** Most calls waiting in the queue at once within the interval. */
  readonly maxQueued: number;
  /** Calls that arrived in the interval. */
  readonly calls: number;
  /** Calls answered 2xx in the interval. */
  readonly ok: number;
  /** Mean latency of the calls answered 2xx in the interval (arrival → answer, queueing included), ms; 0 when none were. */
  readonly meanLatencyMs: number;
  /** Calls answered 429 in the interval. */
  readonly tooMany: number;
  /** Calls the client gave up on before the answer (its timeout, or a reset) in the interval, queued or served. */
  readonly aborted: number;
}

/** Per second: what the issue asks the target to record. */
export interface TargetSecond {
  readonly second: number;
  readonly calls: number;
  readonly ok: number;
  readonly tooMany: number;
  readonly aborted: number;
  readonly maxInFlight: number;
  readonly meanInFlight: number;
  readonly maxQueued: number;
  readonly meanQueued: number;
  /** Mean latency of the second's 2xx answers, ms (0 when there were none). */
  readonly meanLatencyMs: number;
}

export interface CapacityTarget {
  readonly origin: string;
  /** The URL of one request of a variant; `c` is the client id the callback receiver reads. */
  urlFor(variant: string, clientId: string): string;
  /** The URL of a warm-up call: served at once after the latency, never counted, never limited. */
  warmUrlFor(clientId: string): string;
  /** Forgets every count and starts the clock and the sampling at 0 (call right before a variant's first submission). */
  startClock(): void;
  /** Stops sampling; returns the samples since `startClock`. */
  stopClock(): TargetSample[];
  /** Calls being served now. */
  inFlight(): number;
  /** Calls waiting in the queue now (shed mode). */
  queued(): number;
  close(): Promise<void>;
}

interface Counts {
  calls: number;
  ok: number;
  latencySumMs: number;
  tooMany: number;
  aborted: number;
}

const zero = (): Counts => ({ calls: 0, ok: 0, latencySumMs: 0, tooMany: 0, aborted: 0 });

/** A call waiting for a slot (shed mode). */
interface Waiting {
  readonly response: ServerResponse;
  readonly arrivedAt: number;
  /** `gone`: the client left while it waited (skipped when its turn comes). */
  state: 'waiting' | 'served' | 'gone';
}

function answerTooMany(response: ServerResponse): void {
  response.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json', 'content-length': '16' }).end('{"busy":"retry"}');
}

/**
 * A destination with a hidden capacity, in the bench process on loopback: it serves up to N
 * calls at once after a base latency; beyond that (the overload mode) it queues up to N more and
 * sheds the rest with 429, answers 429 at once (`Retry-After: 1`), or takes longer. It samples
 * what it sees every 100 ms: calls being served and queued (time-weighted mean and max),
 * arrivals, 2xx and their latency, 429 and abandoned calls.
 */
export async function startCapacityTarget(options: CapacityTargetOptions): Promise<CapacityTarget> {
  const sampleMs = options.sampleMs ?? 100;
  let inFlight = 0;
  /** FIFO of calls waiting for a slot (shed mode); `gone` ones are dropped as they reach the head. */
  const queue: Waiting[] = [];
  let queued = 0;
  // The interval being sampled.
  let clockStart = 0;
  let intervalStart = 0;
  let lastChange = 0;
  let area = 0;
  let queuedArea = 0;
  let maxInFlight = 0;
  let maxQueued = 0;
  let counts = zero();
  let samples: TargetSample[] = [];
  let timer: NodeJS.Timeout | undefined;

  const accrue = (now: number): void => {
    area += inFlight * (now - lastChange);
    queuedArea += queued * (now - lastChange);
    lastChange = now;
  };
  const change = (delta: number): void => {
    if (timer !== undefined) accrue(performance.now());
    inFlight += delta;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
  };
  const changeQueued = (delta: number): void => {
    if (timer !== undefined) accrue(performance.now());
    queued += delta;
    if (queued > maxQueued) maxQueued = queued;
  };
  const resetInterval = (now: number): void => {
    intervalStart = lastChange = now;
    area = 0;
    queuedArea = 0;
    maxInFlight = inFlight;
    maxQueued = queued;
    counts = zero();
  };
  const sample = (): void => {
    const now = performance.now();
    accrue(now);
    const durationMs = now - intervalStart;
    const { latencySumMs, ...rest } = counts;
    samples.push({
      tMs: now - clockStart,
      durationMs,
      meanInFlight: durationMs > 0 ? area / durationMs : inFlight,
      maxInFlight,
      meanQueued: durationMs > 0 ? queuedArea / durationMs : queued,
      maxQueued,
      meanLatencyMs: rest.ok > 0 ? latencySumMs / rest.ok : 0,
      ...rest,
    });
    resetInterval(now);
  };

  /** Serves a call that has a slot (counted in `inFlight` already) after `latencyMs`; `arrivedAt` dates its latency. */
  const serve = (response: ServerResponse, latencyMs: number, arrivedAt: number): void => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      change(-1);
      next();
    };
    response.once('close', () => {
      if (ended) return;
      // The client left before the answer: its timeout, or a reset connection.
      counts.aborted++;
      end();
    });
    setTimeout(() => {
      if (ended || response.destroyed) return;
      end();
      counts.ok++;
      counts.latencySumMs += performance.now() - arrivedAt;
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' }).end('{"ok":true}');
    }, latencyMs);
  };

  /** A slot freed: the queue's head (shed mode) is served. */
  const next = (): void => {
    while (inFlight < options.capacity && queue.length > 0) {
      const waiting = queue.shift() as Waiting;
      if (waiting.state === 'gone') continue;
      waiting.state = 'served';
      changeQueued(-1);
      change(+1);
      serve(waiting.response, options.latencyMs, waiting.arrivedAt);
    }
  };

  const enqueue = (response: ServerResponse, arrivedAt: number): void => {
    const waiting: Waiting = { response, arrivedAt, state: 'waiting' };
    queue.push(waiting);
    changeQueued(+1);
    response.once('close', () => {
      // Once served, `serve` watches the call; while it waits, a close means the client left.
      if (waiting.state !== 'waiting') return;
      waiting.state = 'gone';
      counts.aborted++;
      changeQueued(-1);
    });
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    request.resume();
    const url = request.url ?? '';
    if (url.startsWith('/warm')) {
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' }).end('{"ok":true}'), options.latencyMs);
      return;
    }
    const arrivedAt = performance.now();
    counts.calls++;
    const full = inFlight >= options.capacity;
    if (options.mode === 'shed' && full) {
      if (queued >= options.capacity) {
        counts.tooMany++;
        answerTooMany(response);
      } else enqueue(response, arrivedAt);
      return;
    }
    if (options.mode === '429' && full) {
      counts.tooMany++;
      answerTooMany(response);
      return;
    }
    change(+1);
    const latencyMs = options.mode === 'slow' && inFlight > options.capacity ? (options.latencyMs * inFlight) / options.capacity : options.latencyMs;
    serve(response, latencyMs, arrivedAt);
  };

  const server: Server = createServer(handle);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    urlFor: (variant, clientId) => `${origin}/d/${variant}?c=${clientId}`,
    warmUrlFor: (clientId) => `${origin}/warm?c=${clientId}`,
    startClock: () => {
      if (timer !== undefined) clearInterval(timer);
      const now = performance.now();
      clockStart = now;
      resetInterval(now);
      samples = [];
      timer = setInterval(sample, sampleMs);
    },
    stopClock: () => {
      if (timer !== undefined) {
        sample();
        clearInterval(timer);
        timer = undefined;
      }
      return samples;
    },
    inFlight: () => inFlight,
    queued: () => queued,
    close: () =>
      new Promise((resolve) => {
        if (timer !== undefined) clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The samples folded into whole seconds (what the report's per-second table and the JSON show); a sample counts in the second of its midpoint. */
export function perSecond(samples: readonly TargetSample[]): TargetSecond[] {
  type Sum = { calls: number; ok: number; tooMany: number; aborted: number; maxInFlight: number; inFlightArea: number; maxQueued: number; queuedArea: number; latencySumMs: number };
  const sums: Sum[] = [];
  for (const s of samples) {
    const second = Math.max(0, Math.floor((s.tMs - s.durationMs / 2) / 1000));
    for (let i = sums.length; i <= second; i++) sums[i] = { calls: 0, ok: 0, tooMany: 0, aborted: 0, maxInFlight: 0, inFlightArea: 0, maxQueued: 0, queuedArea: 0, latencySumMs: 0 };
    const sum = sums[second] as Sum;
    sum.calls += s.calls;
    sum.ok += s.ok;
    sum.tooMany += s.tooMany;
    sum.aborted += s.aborted;
    sum.maxInFlight = Math.max(sum.maxInFlight, s.maxInFlight);
    sum.maxQueued = Math.max(sum.maxQueued, s.maxQueued);
    // Time-weighted: each sample's mean counts for its share of the second.
    sum.inFlightArea += s.meanInFlight * s.durationMs;
    sum.queuedArea += s.meanQueued * s.durationMs;
    sum.latencySumMs += s.meanLatencyMs * s.ok;
  }
  const tenth = (value: number): number => Math.round(value * 10) / 10;
  return sums.map((sum, second) => ({
    second,
    calls: sum.calls,
    ok: sum.ok,
    tooMany: sum.tooMany,
    aborted: sum.aborted,
    maxInFlight: sum.maxInFlight,
    meanInFlight: tenth(sum.inFlightArea / 1000),
    maxQueued: sum.maxQueued,
    meanQueued: tenth(sum.queuedArea / 1000),
    meanLatencyMs: sum.ok > 0 ? tenth(sum.latencySumMs / sum.ok) : 0,
  }));
}

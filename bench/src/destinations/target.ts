import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the target does with a call beyond its capacity. */
export type OverloadMode = '429' | 'slow';

export interface CapacityTargetOptions {
  /** Calls it serves at once (the hidden capacity N). */
  readonly capacity: number;
  /** Time it takes to answer a call within its capacity, ms. */
  readonly latencyMs: number;
  /**
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
  /** Calls being served, averaged over the interval (time-weighted). */
  readonly meanInFlight: number;
  /** Most calls served at once within the interval. */
  readonly maxInFlight: number;
  /** Calls that arrived in the interval. */
  readonly calls: number;
  /** Calls answered 2xx in the interval. */
  readonly ok: number;
  /** Calls answered 429 in the interval. */
  readonly tooMany: number;
  /** Calls the client gave up on before the answer (its timeout, or a reset) in the interval. */
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
  close(): Promise<void>;
}

/**
 * A destination with a hidden capacity, in the bench process on loopback: it serves up to N
 * calls at once after a base latency; beyond that it answers 429 at once (`Retry-After: 1`) or,
 * in the slow mode, takes longer. It samples what it sees every 100 ms: calls being served
 * (time-weighted mean and max), arrivals, 2xx, 429 and abandoned calls.
 */
export async function startCapacityTarget(options: CapacityTargetOptions): Promise<CapacityTarget> {
  const sampleMs = options.sampleMs ?? 100;
  let inFlight = 0;
  // The interval being sampled.
  let clockStart = 0;
  let intervalStart = 0;
  let lastChange = 0;
  let area = 0;
  let maxInFlight = 0;
  let counts = { calls: 0, ok: 0, tooMany: 0, aborted: 0 };
  let samples: TargetSample[] = [];
  let timer: NodeJS.Timeout | undefined;

  const accrue = (now: number): void => {
    area += inFlight * (now - lastChange);
    lastChange = now;
  };
  const change = (delta: number): void => {
    if (timer !== undefined) accrue(performance.now());
    inFlight += delta;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
  };
  const sample = (): void => {
    const now = performance.now();
    accrue(now);
    const durationMs = now - intervalStart;
    samples.push({ tMs: now - clockStart, durationMs, meanInFlight: durationMs > 0 ? area / durationMs : inFlight, maxInFlight, ...counts });
    intervalStart = now;
    area = 0;
    maxInFlight = inFlight;
    counts = { calls: 0, ok: 0, tooMany: 0, aborted: 0 };
  };

  const serve = (response: ServerResponse, latencyMs: number, counted: boolean): void => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      change(-1);
    };
    response.once('close', () => {
      if (ended) return;
      // The client left before the answer: its timeout, or a reset connection.
      if (counted) counts.aborted++;
      end();
    });
    setTimeout(() => {
      if (ended || response.destroyed) return;
      end();
      if (counted) counts.ok++;
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' }).end('{"ok":true}');
    }, latencyMs);
  };

  const server: Server = createServer((request, response) => {
    request.resume();
    const url = request.url ?? '';
    if (url.startsWith('/warm')) {
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' }).end('{"ok":true}'), options.latencyMs);
      return;
    }
    counts.calls++;
    if (options.mode === '429' && inFlight >= options.capacity) {
      counts.tooMany++;
      response.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json', 'content-length': '16' }).end('{"busy":"retry"}');
      return;
    }
    change(+1);
    const latencyMs = options.mode === 'slow' && inFlight > options.capacity ? (options.latencyMs * inFlight) / options.capacity : options.latencyMs;
    serve(response, latencyMs, true);
  });
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
      clockStart = intervalStart = lastChange = now;
      area = 0;
      maxInFlight = inFlight;
      counts = { calls: 0, ok: 0, tooMany: 0, aborted: 0 };
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
    close: () =>
      new Promise((resolve) => {
        if (timer !== undefined) clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The samples folded into whole seconds (what the report's per-second table and the JSON show). */
export function perSecond(samples: readonly TargetSample[]): TargetSecond[] {
  const seconds: TargetSecond[] = [];
  for (const s of samples) {
    const second = Math.floor((s.tMs - s.durationMs / 2) / 1000);
    let entry = seconds[second];
    if (entry === undefined) {
      for (let i = seconds.length; i <= second; i++) seconds[i] = { second: i, calls: 0, ok: 0, tooMany: 0, aborted: 0, maxInFlight: 0, meanInFlight: 0 };
      entry = seconds[second] as TargetSecond;
    }
    // Time-weighted: each sample's mean counts for its share of the second.
    seconds[second] = {
      second,
      calls: entry.calls + s.calls,
      ok: entry.ok + s.ok,
      tooMany: entry.tooMany + s.tooMany,
      aborted: entry.aborted + s.aborted,
      maxInFlight: Math.max(entry.maxInFlight, s.maxInFlight),
      meanInFlight: entry.meanInFlight + (s.meanInFlight * s.durationMs) / 1000,
    };
  }
  return seconds.map((entry) => ({ ...entry, meanInFlight: Math.round(entry.meanInFlight * 10) / 10 }));
}

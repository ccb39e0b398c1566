import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the target saw of one request (all its attempts). */
export interface TargetRecord {
  /** performance.now() of the first call. */
  readonly firstCallAt: number;
  calls: number;
  /** Time the target itself spent per call (its latency), summed over calls. */
  serviceMs: number;
}

export interface BenchTarget {
  readonly origin: string;
  /** The URL for client request `clientId`; `fail` makes its first call answer 503. */
  urlFor(clientId: string, latencyMs: number, fail: boolean): string;
  readonly records: ReadonlyMap<string, TargetRecord>;
  reset(): void;
  close(): Promise<void>;
}

/**
 * The benchmark's target: answers after the latency the URL asks for; a request flagged `f=1`
 * gets 503 on its first call and 200 after (a retryable failure, decided per request id by the
 * load generator, so every system sees the same ones). Records per request only what the
 * measurements need, so that it stays cheap at thousands of calls per second.
 */
export async function startBenchTarget(): Promise<BenchTarget> {
  const records = new Map<string, TargetRecord>();
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '';
    const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    const clientId = query.get('c') ?? '';
    const latencyMs = Number(query.get('l') ?? 0);
    const now = performance.now();
    let record = records.get(clientId);
    if (!record) {
      record = { firstCallAt: now, calls: 0, serviceMs: 0 };
      records.set(clientId, record);
    }
    record.calls++;
    record.serviceMs += latencyMs;
    const status = query.get('f') === '1' && record.calls === 1 ? 503 : 200;
    const answer = (): void => {
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': '11' }).end('{"ok":true}');
    };
    if (latencyMs > 0) setTimeout(answer, latencyMs);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    urlFor: (clientId, latencyMs, fail) => `${origin}/t?c=${clientId}&l=${latencyMs}${fail ? '&f=1' : ''}`,
    records,
    reset: () => records.clear(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

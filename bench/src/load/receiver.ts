import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWebhookSecrets, verifyWebhook } from '@parc/webhooks';

/** One request's final result as the receiver got it. */
export interface ReceivedResult {
  /** performance.now() of the first delivery. */
  readonly at: number;
  readonly status: string;
  readonly attempts: number;
  deliveries: number;
}

export interface BenchReceiver {
  readonly url: string;
  /** By client request id (from the result's request URL). */
  readonly results: ReadonlyMap<string, ReceivedResult>;
  /** Deliveries that could not be attributed or whose signature failed. */
  readonly anomalies: () => number;
  reset(): void;
  close(): Promise<void>;
}

/** Checking every signature would make the receiver the bottleneck; one in this many is checked. */
const VERIFY_EVERY = 25;

/**
 * The benchmark's callback receiver: records when each request's final result arrived, its
 * status and attempt count, and counts redeliveries; verifies a sample of signatures.
 */
export async function startBenchReceiver(secretText: string): Promise<BenchReceiver> {
  const secrets = parseWebhookSecrets(secretText);
  const results = new Map<string, ReceivedResult>();
  let anomalies = 0;
  let seen = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      response.writeHead(204).end();
      try {
        if (++seen % VERIFY_EVERY === 0 && !verifyWebhook({ headers: request.headers as Record<string, string>, body, secrets }).ok) anomalies++;
        const result = JSON.parse(body) as { status: string; attempts: unknown[]; request: { url: string } };
        const clientId = new URL(result.request.url).searchParams.get('c');
        if (!clientId) throw new Error('no client id');
        const earlier = results.get(clientId);
        if (earlier) earlier.deliveries++;
        else results.set(clientId, { at, status: result.status, attempts: result.attempts.length, deliveries: 1 });
      } catch {
        anomalies++;
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
    results,
    anomalies: () => anomalies,
    reset: () => {
      results.clear();
      anomalies = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

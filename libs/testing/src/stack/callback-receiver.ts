import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One callback delivery as received: raw body and lower-cased headers, for signature checks. */
export interface ReceivedCallback {
  /** The `webhook-id` header (the request id). */
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly receivedAt: number;
  /** The status this receiver answered with. */
  readonly answeredWith: number;
}

export interface CallbackReceiver {
  readonly url: string;
  /** Every delivery, in arrival order (redeliveries included). */
  readonly deliveries: readonly ReceivedCallback[];
  /** Deliveries answered 2xx, by webhook-id. */
  acceptedById(): Map<string, ReceivedCallback[]>;
  close(): Promise<void>;
}

export interface CallbackReceiverOptions {
  /** Status to answer a delivery with (default 200); e.g. fail the first n deliveries of an id. */
  readonly answer?: (id: string, deliveryNumber: number) => number;
}

/** A local HTTP server that records signed callbacks, for end-to-end tests. */
export async function startCallbackReceiver(options: CallbackReceiverOptions = {}): Promise<CallbackReceiver> {
  const deliveries: ReceivedCallback[] = [];
  const counts = new Map<string, number>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
      const id = headers['webhook-id'] ?? '';
      const n = (counts.get(id) ?? 0) + 1;
      counts.set(id, n);
      const status = options.answer?.(id, n) ?? 200;
      deliveries.push({ id, headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now(), answeredWith: status });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try later');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    deliveries,
    acceptedById: () => {
      const byId = new Map<string, ReceivedCallback[]>();
      for (const delivery of deliveries) {
        if (delivery.answeredWith >= 300) continue;
        byId.set(delivery.id, [...(byId.get(delivery.id) ?? []), delivery]);
      }
      return byId;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

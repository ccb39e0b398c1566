import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** A request as a plain test server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  /** TLS SNI the client sent (https servers only). */
  readonly servername: string | undefined;
}

/** A node:http(s) server that counts what the target server does not: sockets and concurrency. */
export interface PlainServer {
  readonly port: number;
  readonly url: string;
  readonly requests: readonly SeenRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Connections currently open. */
  readonly openConnections: number;
  /** Most requests in progress at once. */
  readonly maxConcurrent: number;
  close(): Promise<void>;
}

export type Respond = (request: SeenRequest, res: ServerResponse) => void | Promise<void>;

const ok: Respond = (_request, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

/** Starts a plain server on `host` (default 127.0.0.1; https with `tls`) answering with `respond`. */
export async function startPlainServer(respond: Respond = ok, tls?: { cert: string; key: string }, host = '127.0.0.1'): Promise<PlainServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let current = 0;
  let maxConcurrent = 0;
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    current++;
    maxConcurrent = Math.max(maxConcurrent, current);
    res.once('close', () => current--);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const seen: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks),
      servername: (req.socket as Partial<TLSSocket>).servername || undefined,
    };
    requests.push(seen);
    await respond(seen, res);
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch(() => res.destroy());
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server, host);
  return {
    port,
    url: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requests,
    get connections() {
      return connections;
    },
    get openConnections() {
      return sockets.size;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    close: () => stop(server, sockets),
  };
}

/** A TCP server that accepts connections and never says a word (a TLS handshake that hangs). */
export async function startSilentServer(): Promise<{ port: number; readonly connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined); // the client hangs up; nothing to report
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    get connections() {
      return connections;
    },
    close: () => stop(server, sockets),
  };
}

async function listen(server: Server | ReturnType<typeof createNetServer>, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function stop(server: Server | ReturnType<typeof createNetServer>, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  return closed;
}

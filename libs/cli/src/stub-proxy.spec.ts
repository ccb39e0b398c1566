import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { EXIT_CODES } from './errors';
import { fakeIo } from './fake-proxy.fixture';
import { runCli } from './program';

/**
 * The client against a loopback stub with Node's real fetch: what a fake fetch cannot show
 * (a chunked upload, an answer before the upload ends, a connection cut mid-line).
 */
const BATCH = '01JZ6X4Q2C6V7B8N9M0P1Q2R3S';
const dir = mkdtempSync(join(tmpdir(), 'parc-cli-stub-'));
const BIG = join(dir, 'big.ndjson');
const LINE = '{"url":"http://127.0.0.1:8080/demo/echo"}\n';
writeFileSync(BIG, LINE.repeat(200_000));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function stub(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the client over real HTTP (loopback stub)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const start = async (handler: Handler) => {
    const s = await stub(handler);
    servers.push(s.server);
    return s.url;
  };

  it('uploads a file as a chunked stream, not one buffered body', async () => {
    let received = 0;
    let chunks = 0;
    let encoding: string | undefined;
    const url = await start((request, response) => {
      encoding = request.headers['transfer-encoding'];
      request.on('data', (chunk: Buffer) => {
        received += chunk.length;
        chunks++;
      });
      request.on('end', () => response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ batchId: BATCH, ids: ['r1'] })));
    });
    const { io, stdout } = fakeIo({ fetch: globalThis.fetch }, { env: { PARC_URL: url } });
    expect(await runCli(['submit', BIG], io)).toBe(EXIT_CODES.ok);
    expect(stdout.text).toBe(`${BATCH}\n`);
    expect({ encoding, received }).toEqual({ encoding: 'chunked', received: LINE.length * 200_000 });
    expect(chunks).toBeGreaterThan(10);
  });

  it('reports the 401 the proxy answers before reading the body, not a broken upload', async () => {
    const url = await start((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'the API key is not valid' } }));
    });
    const { io, stderr } = fakeIo({ fetch: globalThis.fetch }, { env: { PARC_URL: url, PARC_API_KEY: 'wrong-0123456789abcdef' } });
    expect(await runCli(['submit', BIG], io)).toBe(EXIT_CODES.refused);
    expect(stderr.text).toBe('parc: the proxy refused the API key (401 UNAUTHORIZED): set PARC_API_KEY or --api-key\n');
  });

  it('reads the input only as fast as the proxy takes it, and stops at an early answer', async () => {
    // 1 GiB on offer; what the client pulls is counted.
    let pulled = 0;
    const chunk = Buffer.from(LINE.repeat(1_500));
    const input = new Readable({
      read() {
        pulled += chunk.length;
        this.push(pulled > 1024 ** 3 ? null : chunk);
      },
    });
    let pulledWhileStalled = 0;
    const url = await start((request, response) => {
      request.pause();
      setTimeout(() => {
        pulledWhileStalled = pulled;
        response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'the API key is not valid' } }));
      }, 500);
    });
    const { io } = fakeIo({ fetch: globalThis.fetch }, { env: { PARC_URL: url, PARC_API_KEY: 'wrong-0123456789abcdef' }, stdin: input });
    expect(await runCli(['submit', '-'], io)).toBe(EXIT_CODES.refused);
    // Socket buffers and stream high-water marks hold a few MB at most: nowhere near the input.
    expect(pulledWhileStalled).toBeLessThan(32 * 1024 ** 2);
    expect(pulled).toBeLessThan(pulledWhileStalled + 8 * 1024 ** 2);
  });

  it('resumes a results stream cut in the middle of a line after the last whole line', async () => {
    const line = (id: string) => `{"id":"${id}","batchId":"${BATCH}","status":"succeeded","attempts":[]}\n`;
    const afters: (string | null)[] = [];
    const url = await start((request, response) => {
      const after = new URL(request.url ?? '/', 'http://x').searchParams.get('after');
      afters.push(after);
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      if (after === null) {
        response.write(line('r1') + line('r2').slice(0, 20));
        setTimeout(() => response.socket?.destroy(), 50);
      } else {
        response.end(line('r2'));
      }
    });
    const { io, stdout } = fakeIo({ fetch: globalThis.fetch }, { env: { PARC_URL: url } });
    expect(await runCli(['results', BATCH, '--wait'], io)).toBe(EXIT_CODES.ok);
    expect(stdout.text).toBe(line('r1') + line('r2'));
    expect(afters).toEqual([null, 'r1']);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectDockerEngine } from './docker';

/** An HTTP server standing in for a Docker engine: answers GET /_ping with `status` and `body`. */
async function fakeEngine(listen: string | number, status = 200, body = 'OK'): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/_ping' ? status : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/_ping' ? body : 'not found');
  });
  await new Promise<void>((resolve) => {
    if (typeof listen === 'string') server.listen(listen, resolve);
    else server.listen(listen, '127.0.0.1', resolve);
  });
  return server;
}

describe('detectDockerEngine', () => {
  let dir: string;
  const servers: Server[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parc-docker-spec-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds an engine on a socket that answers GET /_ping with OK', async () => {
    const socket = join(dir, 'docker.sock');
    servers.push(await fakeEngine(socket));
    const status = await detectDockerEngine({ env: {}, socketPaths: [join(dir, 'absent.sock'), socket] });
    expect(status).toEqual({ available: true, endpoint: `unix://${socket}`, detail: `${socket} answered GET /_ping` });
  });

  it('says which sockets were absent when there is none (the docker CLI alone is not an engine)', async () => {
    const status = await detectDockerEngine({ env: {}, socketPaths: ['/var/run/docker.sock.parc-spec-absent'] });
    expect(status.available).toBe(false);
    expect(status.detail).toBe('DOCKER_HOST unset, /var/run/docker.sock.parc-spec-absent absent');
  });

  it('does not count a socket whose daemon answers with an error', async () => {
    const socket = join(dir, 'docker.sock');
    servers.push(await fakeEngine(socket, 500, 'daemon is starting'));
    const status = await detectDockerEngine({ env: {}, socketPaths: [socket] });
    expect(status.available).toBe(false);
    expect(status.detail).toMatch(/present but GET \/_ping failed \(GET \/_ping answered 500/);
  });

  it('uses DOCKER_HOST first: unix:// and plain tcp:// are pinged', async () => {
    const socket = join(dir, 'engine.sock');
    servers.push(await fakeEngine(socket));
    expect((await detectDockerEngine({ env: { DOCKER_HOST: `unix://${socket}` }, socketPaths: [] })).available).toBe(true);

    const tcp = await fakeEngine(0);
    servers.push(tcp);
    const port = (tcp.address() as { port: number }).port;
    const status = await detectDockerEngine({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` }, socketPaths: [] });
    expect(status).toMatchObject({ available: true, endpoint: `tcp://127.0.0.1:${port}` });
  });

  it('reports a DOCKER_HOST that does not answer, without falling back to the default socket', async () => {
    const socket = join(dir, 'docker.sock');
    servers.push(await fakeEngine(socket));
    const status = await detectDockerEngine({ env: { DOCKER_HOST: `unix://${join(dir, 'gone.sock')}` }, socketPaths: [socket] });
    expect(status.available).toBe(false);
    expect(status.detail).toMatch(/^DOCKER_HOST=unix:\/\/.*gone\.sock did not answer GET \/_ping \(.*ENOENT/);
  });

  it('trusts DOCKER_HOST forms it cannot ping (TLS, ssh) and leaves the verdict to testcontainers', async () => {
    const tls = await detectDockerEngine({ env: { DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_TLS_VERIFY: '1' } });
    expect(tls).toMatchObject({ available: true, detail: 'DOCKER_HOST=tcp://10.0.0.1:2376 (not pinged: TLS)' });
    expect((await detectDockerEngine({ env: { DOCKER_HOST: 'ssh://me@host' } })).available).toBe(true);
    expect(await detectDockerEngine({ env: { DOCKER_HOST: 'not a url' } })).toMatchObject({ available: false });
  });
});

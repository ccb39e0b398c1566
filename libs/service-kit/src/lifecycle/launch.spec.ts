import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../../..');
const FIXTURE = join(__dirname, 'service.fixture.ts');
const children: ChildProcess[] = [];

// Starting Node with tsx takes about a second; leave room on a busy CI machine.
jest.setTimeout(20_000);

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the fixture service as its own Node process (TypeScript through tsx), as main.ts runs. */
function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const records: Record<string, unknown>[] = [];
  const waiters: { test: (r: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const record = JSON.parse(line) as Record<string, unknown>;
      records.push(record);
      for (const waiter of waiters.filter((w) => w.test(record))) waiter.resolve();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const logged = (test: (r: Record<string, unknown>) => boolean) =>
    new Promise<void>((resolve) => (records.some(test) ? resolve() : waiters.push({ test, resolve })));
  return { child, records, exited, logged };
}

const isListening = (r: Record<string, unknown>) => String(r['msg']).startsWith('listening on');

describe('a service process (real Node process)', () => {
  it('answers /health/live, then exits 0 on SIGTERM after a graceful shutdown', async () => {
    const port = await freePort();
    const service = launch({ PORT: String(port) });
    await service.logged(isListening);
    const live = await fetch(`http://127.0.0.1:${port}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.records.map((r) => r['msg'])).toEqual(expect.arrayContaining(['shutting down (SIGTERM)', 'shut down cleanly']));
  });

  it('refuses a bad config with one fatal JSON line naming each variable, and exits 1', async () => {
    const service = launch({ PORT: '80a', FIXTURE_CLOSE_DELAY_MS: 'soon' });
    expect(await service.exited).toBe(1);
    expect(service.records).toHaveLength(1);
    expect(service.records[0]).toMatchObject({ level: 'fatal', service: 'fixture', err: { code: 'CONFIG_INVALID' } });
    expect(service.records[0]?.['msg']).toContain('PORT: "80a" is not an integer between 1 and 65535');
    expect(service.records[0]?.['msg']).toContain('FIXTURE_CLOSE_DELAY_MS: "soon" is not a duration');
  });

  it('exits 1 when draining outlives SHUTDOWN_TIMEOUT_MS', async () => {
    const port = await freePort();
    const service = launch({ PORT: String(port), SHUTDOWN_TIMEOUT_MS: '200', FIXTURE_CLOSE_DELAY_MS: '10s' });
    await service.logged(isListening);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(1);
    expect(service.records.find((r) => r['level'] === 'fatal')).toMatchObject({ msg: 'shutdown took longer than 200 ms; exiting' });
  });
});

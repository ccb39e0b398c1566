import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServiceProcess, type ServiceProcess } from '@parc/testing';

/**
 * The README's first minute, as written there: `npm start` (the embedded mode, on 127.0.0.1:8080,
 * no key on loopback), then in another terminal
 * `npx parc submit examples/requests.ndjson --wait --out results.ndjson`, then the results.
 * The example file calls the embedded mode's own demo target on port 8080, so this test needs that
 * port, as a user's first run does; when it is taken it fails and says so.
 */
const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const probe = createServer();
    probe.once('error', () => resolvePromise(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePromise(true)));
  });
}

describe("the README's first minute: npm start, then npx parc submit examples/requests.ndjson --wait --out results.ndjson", () => {
  let embedded: ServiceProcess | undefined;

  afterAll(async () => {
    await embedded?.stop();
  });

  it('submits the example file to the embedded mode, waits, and writes one succeeded result per request', async () => {
    // The commands are the README's own: if it changes them, this test must change with it.
    expect(README).toContain('```sh\nnpm start\n```');
    const submit = README.match(/```sh\n(npx parc submit examples\/requests\.ndjson --wait --out results\.ndjson)\n```/)?.[1];
    expect(submit).toBe('npx parc submit examples/requests.ndjson --wait --out results.ndjson');
    if (!(await portIsFree(8080))) throw new Error('Port 8080 on 127.0.0.1 is taken: the README\'s first minute (and examples/requests.ndjson) use it. Free it and run again.');
    // `npm start` is `node --import tsx tools/embedded/main.ts` (package.json), with its defaults.
    embedded = await startServiceProcess({ app: 'embedded', entry: 'tools/embedded/main.ts', port: 8080, logDir: mkdtempSync(join(tmpdir(), 'parc-first-minute-')), env: { LOG_LEVEL: 'warn' }, readyTimeoutMs: 60_000 });
    const dir = mkdtempSync(join(tmpdir(), 'parc-first-minute-out-'));
    const run = await new Promise<{ code: number | null; stderr: string }>((resolvePromise, reject) => {
      // From another directory, as a second terminal would be, with results.ndjson written there.
      const child = spawn('npx', ['--prefix', ROOT, '--no-install', ...(submit as string).split(' ').slice(1).map((arg) => (arg === 'examples/requests.ndjson' ? join(ROOT, arg) : arg))], {
        cwd: dir,
        env: { ...process.env, PARC_URL: '', PARC_API_KEY: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolvePromise({ code, stderr }));
    });
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    const requests = readFileSync(join(ROOT, 'examples/requests.ndjson'), 'utf8').trim().split('\n');
    const results = readFileSync(join(dir, 'results.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { status: string; attempts: unknown[]; metadata?: { n: number } });
    expect(results).toHaveLength(requests.length);
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect(results.map((r) => r.metadata?.n).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(requests.map((line) => (JSON.parse(line) as { metadata: { n: number } }).metadata.n));
    // "some of which fail once to three times before they succeed"
    expect(results.some((r) => r.attempts.length > 1)).toBe(true);
  }, 180_000);
});

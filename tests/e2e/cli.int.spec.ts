import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { API_KEY, freePort, startStack, startTargetServer, waitFor, type Stack, type TargetServer } from '@parc/testing';

/**
 * `parc`, the command-line client, as users run it: the real launcher (bin/parc.mjs) as a child
 * process against the six-process stack on the run's Redis and Kafka, its exit codes, what it
 * prints on a pipe and, inside tmux, on a terminal.
 */
const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/parc.mjs');
const auth = { authorization: `Bearer ${API_KEY}` };

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const PLAIN_LINE =
  /^batch (?<batch>\S+) (?<finished>\d+)\/(?<total>\d+) finished \(succeeded (?<succeeded>\d+), failed (?<failed>\d+), queued (?<queued>\d+), in flight (?<inFlight>\d+), waiting retry (?<waitingRetry>\d+)\) \S+\/s, ETA .+$/;
const BAR =
  /(?<finished>\d+)\/(?<total>\d+) finished \| succeeded (?<succeeded>\d+) failed (?<failed>\d+) \| \S+ ETA .+? \| queued (?<queued>\d+) in flight (?<inFlight>\d+) waiting retry (?<waitingRetry>\d+)/;

interface Counts {
  readonly finished: number;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  /** queued + in flight + waiting retry */
  readonly unfinished: number;
}

/** The numbers of a progress line or bar. */
function countsOf(match: RegExpExecArray): Counts {
  const n = (name: string) => Number(match.groups?.[name]);
  return { finished: n('finished'), total: n('total'), succeeded: n('succeeded'), failed: n('failed'), unfinished: n('queued') + n('inFlight') + n('waitingRetry') };
}

describe('parc, the command-line client, against the stack', () => {
  let target: TargetServer;
  let stack: Stack;
  let dir: string;
  let run: string;

  /** Runs `node bin/parc.mjs ...args` with the stack's URL and key (the env given wins) and collects everything. */
  function parc(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: ROOT,
        env: { ...process.env, PARC_URL: stack.proxyUrl, PARC_API_KEY: API_KEY, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    });
  }

  /** Writes an NDJSON file of request specs. */
  function ndjson(name: string, specs: readonly unknown[]): string {
    const file = join(dir, name);
    writeFileSync(file, specs.map((spec) => `${JSON.stringify(spec)}\n`).join(''));
    return file;
  }

  const ok = (n: number, params: Record<string, string | number> = {}) => ({ url: target.urlFor('/ok', { seq: '200', key: `${run}-ok-${n}`, ...params }) });
  const failing = (n: number) => ({ url: target.urlFor('/fail', { seq: '500', key: `${run}-fail-${n}` }), retry: { maxAttempts: 1 } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parc-cli-e2e-'));
    target = await startTargetServer();
    stack = await startStack({ egressAllowList: `127.0.0.1:${target.port}` });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await target?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  beforeEach(() => {
    run = `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  });

  it('exits 0 when every request succeeded, printing the batch id on stdout and plain progress lines on stderr (no terminal)', async () => {
    // Slow enough answers that the wait spans several 2-second progress lines.
    const file = ndjson('ok.ndjson', Array.from({ length: 20 }, (_, n) => ok(n, { seq: '200@4500' })));
    const result = await parc(['submit', file, '--wait']);
    expect(result).toMatchObject({ code: 0 });
    const batchId = result.stdout.trim();
    expect(batchId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^sending ok\.ndjson: .* of /);
    expect(lines).toContain(`batch ${batchId}: 20 requests accepted`);
    const progress = lines.filter((line) => PLAIN_LINE.test(line)).map((line) => PLAIN_LINE.exec(line) as RegExpExecArray);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (const match of progress) {
      const counts = countsOf(match);
      expect({ batch: match.groups?.['batch'], total: counts.total, all: counts.finished + counts.unfinished }).toEqual({ batch: batchId, total: 20, all: 20 });
      expect(counts.finished).toBe(counts.succeeded + counts.failed);
    }
    expect(countsOf(progress.at(-1) as RegExpExecArray)).toEqual({ finished: 20, total: 20, succeeded: 20, failed: 0, unfinished: 0 });
    expect(lines.at(-1)).toMatch(new RegExp(`^batch ${batchId} complete in \\d+ s: 20 requests, 20 succeeded, 0 failed$`));
    expect(result.stderr).not.toContain('\u001b[');
  }, 90_000);

  it('exits 2 when the batch finished with some requests failed', async () => {
    const file = ndjson('mixed.ndjson', [ok(1), failing(2), ok(3), failing(4)]);
    const result = await parc(['submit', file, '--wait']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/complete in \d+ s: 4 requests, 2 succeeded, 2 failed/);
  }, 60_000);

  it('--out writes the same result lines GET /v1/batches/:id/results returns, and parc results copies them byte for byte', async () => {
    const file = ndjson('out.ndjson', [...Array.from({ length: 12 }, (_, n) => ok(n)), failing(100), failing(101), failing(102)]);
    const out = join(dir, `results-${run}.ndjson`);
    const submitted = await parc(['submit', file, '--out', out]);
    expect(submitted.code).toBe(2);
    const batchId = submitted.stdout.trim();
    expect(submitted.stderr).toContain(`15 results written to ${out}`);
    const response = await fetch(`${stack.proxyUrl}/v1/batches/${batchId}/results`, { headers: auth });
    expect(response.status).toBe(200);
    const served = await response.text();
    const lines = (text: string) => text.split('\n').filter((line) => line !== '');
    const written = readFileSync(out, 'utf8');
    expect(new Set(lines(written))).toEqual(new Set(lines(served)));
    expect(lines(written)).toHaveLength(15);
    expect(lines(written).map((line) => (JSON.parse(line) as { status: string }).status).filter((s) => s === 'failed')).toHaveLength(3);

    const copied = await parc(['results', batchId]);
    expect(copied).toMatchObject({ code: 2, stdout: served });
    const third = (JSON.parse(lines(served)[2] as string) as { id: string }).id;
    const resumed = await parc(['results', batchId, '--after', third]);
    expect(lines(resumed.stdout)).toEqual(lines(served).slice(3));
  }, 60_000);

  it('exits 3 for a wrong API key, saying which variable to set', async () => {
    const file = ndjson('key.ndjson', [ok(1)]);
    const result = await parc(['submit', file], { PARC_API_KEY: 'not-the-key-0123456789' });
    expect(result).toEqual({ code: 3, stdout: '', stderr: 'parc: the proxy refused the API key (401 UNAUTHORIZED): set PARC_API_KEY or --api-key\n' });
    const missing = await parc(['status', '01JZ6X4Q2C6V7B8N9M0P1Q2R3S'], { PARC_API_KEY: '' });
    expect(missing).toMatchObject({ code: 3, stderr: expect.stringContaining('the proxy wants an API key (401 UNAUTHORIZED)') as unknown });
  });

  it('exits 3 for a rejected NDJSON line, naming the line and the reason', async () => {
    const file = join(dir, 'rejected.ndjson');
    writeFileSync(file, `${JSON.stringify(ok(1))}\n${JSON.stringify({ url: 'ftp://example.com/x' })}\nnot json\n`);
    const result = await parc(['submit', file]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^[0-9A-Z]{26}\n$/);
    expect(result.stderr).toContain(': 1 requests accepted, 2 lines rejected');
    expect(result.stderr).toMatch(/^line 2 rejected \(REQUEST_INVALID\): .*url/m);
    expect(result.stderr).toMatch(/^line 3 rejected \(BODY_MALFORMED\): the line is not valid JSON/m);
  });

  it('exits 4 when nothing listens at the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await parc(['submit', ndjson('unreachable.ndjson', [ok(1)]), '--wait'], { PARC_URL: url });
    expect(result).toEqual({ code: 4, stdout: '', stderr: `parc: cannot reach the proxy at ${url}: connection refused; is it running? (npm start)\n` });
  });

  it('cancels a request by its id and a batch by its id; status shows both', async () => {
    // Failing first attempts, then five minutes until the retry: only a cancellation ends them soon.
    const waiting = (n: number) => ({ url: target.urlFor('/later', { seq: '500', key: `${run}-later-${n}` }), retry: { maxAttempts: 3, initialDelayMs: 300_000, jitter: 'none' } });
    const submitted = await parc(['submit', ndjson('cancel.ndjson', [waiting(1), waiting(2)]), '--json']);
    expect(submitted.code).toBe(0);
    const { batchId, ids } = JSON.parse(submitted.stdout) as { batchId: string; ids: string[] };
    const readStatus = async () => JSON.parse((await parc(['status', batchId, '--json'])).stdout) as { cancelRequested: boolean; counts: { failed: number; waiting_retry: number } };
    await waitFor('both requests to wait for their retry', async () => (await readStatus()).counts.waiting_retry === 2, 30_000, 300);

    // A request id: no batch has it (404), so the request is cancelled; its retry is brought forward.
    const one = await parc(['cancel', ids[0] as string]);
    expect(one).toMatchObject({ code: 0, stdout: `cancelling request ${ids[0]} (waiting_retry, 1 attempts so far): it will end failed (cancelled)\n` });
    await waitFor('the cancelled request to end', async () => (await readStatus()).counts.failed === 1, 30_000, 300);
    const again = await parc(['cancel', ids[0] as string]);
    expect(again).toMatchObject({ code: 3, stderr: expect.stringContaining('(409 ALREADY_FINISHED)') as unknown });

    // The batch: the other request ends at its next due time (batch cancellations are not expedited).
    const all = await parc(['cancel', batchId]);
    expect(all).toEqual({ code: 0, stdout: `cancelling batch ${batchId}: 1 of 2 requests not finished yet will end failed (cancelled)\n`, stderr: '' });
    const shown = await parc(['status', batchId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^batch ${batchId}: in progress, cancel requested \\(1/2 finished\\)\n`));
    expect(shown.stdout).toContain('failed because cancelled 1');
  }, 90_000);

  it('runs as `npx parc` from the checkout (the root package\'s bin)', () => {
    const result = spawnSync('npx', ['--no-install', 'parc', '--version'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PARC_URL: '', PARC_API_KEY: '' } });
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: `${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n` });
  });

  describe('on a terminal (tmux)', () => {
    // A server of its own, its socket in the test's directory: nothing of the user's tmux is touched.
    const tmux = (...args: string[]) => spawnSync('tmux', ['-S', join(dir, 'tmux.sock'), ...args], { encoding: 'utf8' });

    afterAll(() => {
      tmux('kill-server');
    });

    it('draws a progress bar with the counts, read from the screen', async () => {
      const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
      if (probe.error !== undefined) throw new Error('tmux is not installed: apt-get install -y tmux (the CI script installs it)');
      const file = ndjson('tty.ndjson', Array.from({ length: 20 }, (_, n) => ok(n, { seq: '200@3000' })));
      const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
      const command = [
        'env',
        `PARC_URL=${quote(stack.proxyUrl)}`,
        `PARC_API_KEY=${quote(API_KEY)}`,
        quote(process.execPath),
        quote(BIN),
        'submit',
        quote(file),
        '--wait',
        '; echo "EXIT=$?"; sleep 120',
      ].join(' ');
      const started = tmux('-u', 'new-session', '-d', '-s', 'parc', '-x', '220', '-y', '30', command);
      expect(started.status).toBe(0);
      const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'parc').stdout;
      // Mid-run: the bar is there, with counts that add up to the batch.
      const during = await waitFor('the bar, before the batch is done', () => {
        const match = BAR.exec(screen());
        return match !== null && countsOf(match).finished < 20 ? countsOf(match) : undefined;
      }, 30_000, 100);
      expect(during.finished).toBe(during.succeeded + during.failed);
      expect({ total: during.total, all: during.finished + during.unfinished }).toEqual({ total: 20, all: 20 });
      const final = await waitFor('the command to exit', () => (/EXIT=\d+/.test(screen()) ? screen() : undefined), 60_000, 200);
      expect(final).toContain('EXIT=0');
      expect(final).toMatch(/20\/20 finished \| succeeded 20 failed 0 \|/);
      expect(final).toMatch(/batch [0-9A-Z]{26} complete in \d+ s: 20 requests, 20 succeeded, 0 failed/);
      // Drawn in place: one bar line on the screen, not one line per redraw.
      expect(final.match(/finished \| succeeded/g)).toHaveLength(1);
    }, 90_000);
  });
});

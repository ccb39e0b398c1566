import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { BatchStatus } from './api-types';
import { EXIT_CODE_HELP, EXIT_CODES } from './errors';
import { errorBody, fakeClock, fakeFetch, fakeIo, json, ndjsonStream, refused, type Route } from './fake-proxy.fixture';
import { runCli } from './program';

const BATCH = '01JZ6X4Q2C6V7B8N9M0P1Q2R3S';
const dir = mkdtempSync(join(tmpdir(), 'parc-cli-'));
const NDJSON_FILE = join(dir, 'requests.ndjson');
const JSON_FILE = join(dir, 'batch.json');
writeFileSync(NDJSON_FILE, '{"url":"http://127.0.0.1:8080/demo/echo?n=1"}\n{"url":"http://127.0.0.1:8080/demo/echo?n=2"}\n');
writeFileSync(JSON_FILE, '{"requests":[{"url":"http://127.0.0.1:8080/demo/echo"}]}');

const status = (counts: Partial<BatchStatus['counts']>, complete?: boolean, total = 2): BatchStatus => ({
  batchId: BATCH,
  total,
  counts: { queued: 0, in_flight: 0, waiting_retry: 0, succeeded: 0, failed: 0, ...counts },
  cancelRequested: false,
  ...(complete === undefined ? {} : { complete }),
});

/** Answers with each status in turn, the last one for ever after. */
function statuses(...sequence: BatchStatus[]): Route {
  let index = 0;
  return () => json(200, sequence[Math.min(index++, sequence.length - 1)]);
}

const accepted = (ids = ['r1', 'r2'], rejected: unknown[] = []) => () => json(202, { batchId: BATCH, ids, rejected });

const line = (id: string, state: 'succeeded' | 'failed') => `{"id":"${id}","batchId":"${BATCH}","status":"${state}","attempts":[]}\n`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('arguments', () => {
  const { transport } = fakeFetch({});
  it.each([
    { name: 'no command', argv: [], exit: EXIT_CODES.usage },
    { name: 'an unknown command', argv: ['sumbit', 'x'], exit: EXIT_CODES.usage },
    { name: 'an unknown option', argv: ['status', BATCH, '--colour'], exit: EXIT_CODES.usage },
    { name: 'a missing argument', argv: ['submit'], exit: EXIT_CODES.usage },
    { name: 'a format that does not exist', argv: ['submit', NDJSON_FILE, '--format', 'xml'], exit: EXIT_CODES.usage },
    { name: '--callback with a JSON batch', argv: ['submit', JSON_FILE, '--callback', 'http://x/cb'], exit: EXIT_CODES.usage, stderr: /--callback and --callback-header work with NDJSON only/ },
    { name: '--callback-header without --callback', argv: ['submit', NDJSON_FILE, '--callback-header', 'a: b'], exit: EXIT_CODES.usage, stderr: /needs --callback/ },
    { name: 'a malformed --callback-header', argv: ['submit', NDJSON_FILE, '--callback', 'http://x', '--callback-header', 'nocolon'], exit: EXIT_CODES.usage, stderr: /is not "Name: value"/ },
    { name: 'a file that does not exist', argv: ['submit', join(dir, 'nope.ndjson')], exit: EXIT_CODES.usage, stderr: /cannot read .*nope.ndjson: no such file/ },
    { name: 'a directory', argv: ['submit', dir], exit: EXIT_CODES.usage, stderr: /not a file/ },
    { name: 'an --out in a missing directory', argv: ['submit', NDJSON_FILE, '--out', join(dir, 'no', 'such', 'out.ndjson')], exit: EXIT_CODES.usage, stderr: /cannot write/ },
    { name: 'a page size out of range', argv: ['dead', 'list', '--limit', '0'], exit: EXIT_CODES.usage },
    { name: '--batch and --request together', argv: ['cancel', BATCH, '--batch', '--request'], exit: EXIT_CODES.usage },
    { name: 'a URL that is not http', argv: ['--url', 'ftp://x', 'status', BATCH], exit: EXIT_CODES.usage, stderr: /not an http\(s\) URL/ },
    { name: 'dead without a subcommand', argv: ['dead'], exit: EXIT_CODES.usage },
    { name: '--version', argv: ['--version'], exit: EXIT_CODES.ok },
    { name: 'help for a command', argv: ['submit', '--help'], exit: EXIT_CODES.ok },
  ])('$name → exit $exit', async ({ argv, exit, stderr: expected }) => {
    const { io, stderr } = fakeIo(transport);
    expect(await runCli(argv, io)).toBe(exit);
    if (expected !== undefined) expect(stderr.text).toMatch(expected);
  });

  it('--help lists every exit code and the environment variables', async () => {
    const { io, stdout } = fakeIo(transport);
    expect(await runCli(['--help'], io)).toBe(0);
    for (const [code, meaning] of EXIT_CODE_HELP) expect(stdout.text).toContain(`  ${String(code).padEnd(4)}${meaning}`);
    expect(stdout.text).toMatch(/PARC_URL .*default http:\/\/127\.0\.0\.1:8080/);
    expect(stdout.text).toContain('PARC_API_KEY');
  });

  it('takes global options after the command too', async () => {
    const { transport: t, calls } = fakeFetch({ [`GET /v1/batches/${BATCH}`]: statuses(status({ queued: 2 })) });
    const { io } = fakeIo(t, { env: { PARC_URL: 'http://env:1' } });
    expect(await runCli(['status', BATCH, '--url', 'http://flag:2', '--api-key', 'k'], io)).toBe(0);
    expect(calls[0]?.url.origin).toBe('http://flag:2');
    expect(calls[0]?.headers['authorization']).toBe('Bearer k');
  });
});

describe('parc submit', () => {
  it('streams an NDJSON file with the headers asked for and prints the batch id alone on stdout', async () => {
    const { transport, calls } = fakeFetch({ 'POST /v1/requests': accepted() });
    const { io, stdout, stderr } = fakeIo(transport, { env: { PARC_API_KEY: 'key-0123456789abcdef' } });
    const argv = ['submit', NDJSON_FILE, '--callback', 'http://127.0.0.1:9/cb', '--callback-header', 'X-Token: t1', '--batch-callback', 'http://127.0.0.1:9/batch', '--idempotency-key', 'k-1'];
    expect(await runCli(argv, io)).toBe(EXIT_CODES.ok);
    expect(stdout.text).toBe(`${BATCH}\n`);
    expect(stderr.text).toBe(`batch ${BATCH}: 2 requests accepted\n`);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toBe(readFileSync(NDJSON_FILE, 'utf8'));
    expect(calls[0]?.headers).toMatchObject({
      'content-type': 'application/x-ndjson',
      authorization: 'Bearer key-0123456789abcdef',
      'parc-callback-url': 'http://127.0.0.1:9/cb',
      'parc-callback-headers': '{"X-Token":"t1"}',
      'parc-batch-callback-url': 'http://127.0.0.1:9/batch',
      'idempotency-key': 'k-1',
    });
  });

  it.each([
    { name: 'a .json file', argv: ['submit', JSON_FILE], type: 'application/json' },
    { name: '--format json', argv: ['submit', NDJSON_FILE, '--format', 'json'], type: 'application/json' },
    { name: '--format ndjson on a .json file', argv: ['submit', JSON_FILE, '--format', 'ndjson'], type: 'application/x-ndjson' },
  ])('sends $name as $type', async ({ argv, type }) => {
    const { transport, calls } = fakeFetch({ 'POST /v1/requests': accepted() });
    const { io } = fakeIo(transport);
    expect(await runCli(argv, io)).toBe(0);
    expect(calls[0]?.headers['content-type']).toBe(type);
  });

  it('reads standard input for -, and sends --batch-callback with a JSON batch too', async () => {
    const { transport, calls } = fakeFetch({ 'POST /v1/requests': accepted(['r1']) });
    const { io } = fakeIo(transport, { stdin: '{"requests":[{"url":"http://x/"}]}' });
    expect(await runCli(['submit', '-', '--format', 'json', '--batch-callback', 'http://cb/'], io)).toBe(0);
    expect(calls[0]?.body).toBe('{"requests":[{"url":"http://x/"}]}');
    expect(calls[0]?.headers['parc-batch-callback-url']).toBe('http://cb/');
  });

  it('says so when the input fails to read, rather than blaming the proxy (exit 64)', async () => {
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted() });
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
      },
    });
    const { io, stderr } = fakeIo(transport, { stdin: failing });
    expect(await runCli(['submit', '-'], io)).toBe(EXIT_CODES.usage);
    expect(stderr.text).toBe('parc: cannot read -: EIO: i/o error, read\n');
  });

  it('--json prints the whole answer', async () => {
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted() });
    const { io, stdout } = fakeIo(transport);
    await runCli(['submit', NDJSON_FILE, '--json'], io);
    expect(JSON.parse(stdout.text)).toEqual({ batchId: BATCH, ids: ['r1', 'r2'], rejected: [] });
  });

  it('lists rejected lines with their line number and reason, and exits 3', async () => {
    const rejected = [{ line: 2, error: { code: 'REQUEST_INVALID', message: 'url is required', details: [{ path: 'url', message: 'is required' }] } }];
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted(['r1'], rejected) });
    const { io, stdout, stderr } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE], io)).toBe(EXIT_CODES.refused);
    expect(stdout.text).toBe(`${BATCH}\n`);
    expect(stderr.text).toBe(`batch ${BATCH}: 1 requests accepted, 1 lines rejected\nline 2 rejected (REQUEST_INVALID): url is required\n  url: is required\n`);
  });

  it('exits 3 when every line was rejected, without waiting', async () => {
    const rejected = [{ line: 1, error: { code: 'BODY_MALFORMED', message: 'the line is not valid JSON' } }];
    const { transport, calls } = fakeFetch({ 'POST /v1/requests': accepted([], rejected) });
    const { io, stderr } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE, '--wait'], io)).toBe(EXIT_CODES.refused);
    expect(stderr.text).toContain('line 1 rejected (BODY_MALFORMED): the line is not valid JSON');
    expect(stderr.text).toContain('parc: the proxy accepted no request: every line was rejected');
    expect(calls).toHaveLength(1);
  });

  it.each([
    { name: 'a wrong key', answer: () => errorBody(401, 'UNAUTHORIZED', 'the API key is not valid'), exit: EXIT_CODES.refused, stderr: 'parc: the proxy refused the API key (401 UNAUTHORIZED): set PARC_API_KEY or --api-key\n' },
    { name: 'an invalid batch', answer: () => errorBody(400, 'REQUEST_INVALID', '1 of 1 requests is invalid', { details: [{ index: 0, path: 'requests[0].url', message: 'must be http or https' }] }), exit: EXIT_CODES.refused, stderr: 'parc: the proxy refused the request (400 REQUEST_INVALID): 1 of 1 requests is invalid\n  requests[0].url: must be http or https\n' },
    { name: 'no proxy', answer: () => refused(), exit: EXIT_CODES.unreachable, stderr: 'parc: cannot reach the proxy at http://127.0.0.1:8080: connection refused; is it running? (npm start)\n' },
    { name: 'a proxy failure', answer: () => errorBody(500, 'INTERNAL_ERROR', 'boom'), exit: EXIT_CODES.unexpected, stderr: 'parc: the proxy failed (500 INTERNAL_ERROR): boom\n' },
  ])('$name → exit $exit', async ({ answer, exit, stderr: expected }) => {
    const { transport } = fakeFetch({ 'POST /v1/requests': answer });
    const { io, stdout, stderr } = fakeIo(transport, { env: { PARC_API_KEY: 'wrong-key-0123456789' } });
    expect(await runCli(['submit', NDJSON_FILE], io)).toBe(exit);
    expect(stdout.text).toBe('');
    expect(stderr.text).toBe(expected);
  });
});

describe('parc submit --wait', () => {
  const progress = [
    status({ queued: 2 }, false),
    status({ in_flight: 1, succeeded: 1 }, false),
    status({ succeeded: 1, waiting_retry: 1 }, false),
    status({ succeeded: 1, waiting_retry: 1 }, false),
    status({ succeeded: 1, waiting_retry: 1 }, false),
    status({ succeeded: 2 }, true),
  ];

  it('prints plain progress lines at most every 2 s when stderr is no terminal, then a summary; exit 0', async () => {
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted(), [`GET /v1/batches/${BATCH}`]: statuses(...progress) });
    const { io, stderr } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE, '--wait'], io)).toBe(EXIT_CODES.ok);
    const lines = stderr.text.trimEnd().split('\n');
    expect(lines).toEqual([
      'sending requests.ndjson: 92 B of 92 B',
      `batch ${BATCH}: 2 requests accepted`,
      `batch ${BATCH} 0/2 finished (succeeded 0, failed 0, queued 2, in flight 0, waiting retry 0) --/s, ETA --`,
      `batch ${BATCH} 1/2 finished (succeeded 1, failed 0, queued 0, in flight 0, waiting retry 1) 0.5/s, ETA 2 s`,
      `batch ${BATCH} 2/2 finished (succeeded 2, failed 0, queued 0, in flight 0, waiting retry 0) 0.8/s, ETA 0 s`,
      `batch ${BATCH} complete in 3 s: 2 requests, 2 succeeded, 0 failed`,
    ]);
  });

  it('exits 2 when the batch finished with failed requests', async () => {
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted(), [`GET /v1/batches/${BATCH}`]: statuses(status({ succeeded: 1, failed: 1 }, true)) });
    const { io, stderr } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE, '--wait'], io)).toBe(EXIT_CODES.someFailed);
    expect(stderr.text).toContain('2 requests, 1 succeeded, 1 failed');
  });

  it('completes on counts alone with a proxy that does not report complete', async () => {
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted(), [`GET /v1/batches/${BATCH}`]: statuses(status({ queued: 2 }), status({ succeeded: 2 })) });
    const { io } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE, '--wait'], io)).toBe(EXIT_CODES.ok);
  });

  it('polls through a passing outage, saying so once', async () => {
    const answers = [json(200, status({ queued: 2 }, false)), errorBody(503, 'QUEUE_UNAVAILABLE', 'Redis is down'), refused(), json(200, status({ succeeded: 2 }, true))];
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted(), [`GET /v1/batches/${BATCH}`]: () => answers.shift() as Response | Error });
    const { io, stderr } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE, '--wait'], io)).toBe(EXIT_CODES.ok);
    expect(stderr.text.match(/cannot read batch/g)).toHaveLength(1);
    expect(stderr.text).toContain(`reading batch ${BATCH} again`);
  });

  it('gives up when the proxy stays away past its patience (exit 4)', async () => {
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted(), [`GET /v1/batches/${BATCH}`]: () => refused() });
    const { io, stderr } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE, '--wait'], io)).toBe(EXIT_CODES.unreachable);
    expect(stderr.text).toContain('parc: cannot reach the proxy at http://127.0.0.1:8080: connection refused');
  });

  it('draws a bar with the counts when stderr is a terminal', async () => {
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted(), [`GET /v1/batches/${BATCH}`]: statuses(...progress) });
    const { io, stderr } = fakeIo(transport, { tty: true });
    expect(await runCli(['submit', NDJSON_FILE, '--wait'], io)).toBe(EXIT_CODES.ok);
    expect(stderr.text).toContain('2/2 finished | succeeded 2 failed 0 |');
    expect(stderr.text).toContain('queued 0 in flight 0 waiting retry 0');
    expect(stderr.text).toContain(`batch ${BATCH}: 2 requests accepted`);
    expect(stderr.text).not.toContain(`batch ${BATCH} 0/2 finished (`);
  });
});

describe('parc submit --out', () => {
  it('writes the result lines byte for byte, resuming a broken stream after the last whole line', async () => {
    const broken = Object.assign(new TypeError('terminated'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    const streams = [ndjsonStream([line('r1', 'succeeded'), line('r2', 'failed').slice(0, 10)], broken), ndjsonStream([line('r2', 'failed')])];
    const { transport, calls } = fakeFetch({
      'POST /v1/requests': accepted(),
      [`GET /v1/batches/${BATCH}`]: statuses(status({ succeeded: 1, failed: 1 }, true)),
      [`GET /v1/batches/${BATCH}/results`]: () => streams.shift() as Response,
    });
    const out = join(dir, 'out-resume.ndjson');
    const { io, stderr } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE, '--out', out], io)).toBe(EXIT_CODES.someFailed);
    expect(readFileSync(out, 'utf8')).toBe(line('r1', 'succeeded') + line('r2', 'failed'));
    const resultCalls = calls.filter((c) => c.url.pathname.endsWith('/results'));
    expect(resultCalls.map((c) => Object.fromEntries(c.url.searchParams))).toEqual([{ wait: 'true' }, { wait: 'true', after: 'r1' }]);
    expect(stderr.text).toContain('the results stream broke (terminated); resuming after r1');
    expect(stderr.text).toContain(`2 results written to ${out}`);
  });

  it('stops at once when the proxy has no results for the batch (exit 3)', async () => {
    const { transport } = fakeFetch({ 'POST /v1/requests': accepted(), [`GET /v1/batches/${BATCH}`]: statuses(status({ queued: 2 }, false)) });
    const { io, stderr } = fakeIo(transport);
    expect(await runCli(['submit', NDJSON_FILE, '--out', join(dir, 'out-404.ndjson')], io)).toBe(EXIT_CODES.refused);
    expect(stderr.text).toContain('parc: the proxy refused the request (404 NOT_FOUND)');
  });
});

describe('parc results', () => {
  it('copies the lines to stdout unchanged, passes --wait and --after, and exits 2 when one failed', async () => {
    const body = `${line('r1', 'succeeded')}${line('r2', 'failed')}`;
    const { transport, calls } = fakeFetch({ [`GET /v1/batches/${BATCH}/results`]: () => ndjsonStream([body.slice(0, 7), body.slice(7)]) });
    const { io, stdout } = fakeIo(transport);
    expect(await runCli(['results', BATCH, '--wait', '--after', 'r0'], io)).toBe(EXIT_CODES.someFailed);
    expect(stdout.text).toBe(body);
    expect(Object.fromEntries(calls[0]?.url.searchParams ?? [])).toEqual({ wait: 'true', after: 'r0' });
  });

  it('exits 0 when every line succeeded, and 3 for an unknown batch', async () => {
    const ok = fakeFetch({ [`GET /v1/batches/${BATCH}/results`]: () => ndjsonStream([line('r1', 'succeeded')]) });
    expect(await runCli(['results', BATCH], fakeIo(ok.transport).io)).toBe(EXIT_CODES.ok);
    const unknown = fakeFetch({ [`GET /v1/batches/${BATCH}/results`]: () => errorBody(404, 'UNKNOWN_ID', `no batch ${BATCH}`) });
    expect(await runCli(['results', BATCH], fakeIo(unknown.transport).io)).toBe(EXIT_CODES.refused);
  });

  it('reconnects at once, without counting it, when a quiet stream hits the body timeout', async () => {
    const idle = () => Object.assign(new TypeError('terminated'), { cause: Object.assign(new Error('Body Timeout Error'), { code: 'UND_ERR_BODY_TIMEOUT' }) });
    const streams = [...Array.from({ length: 8 }, () => ndjsonStream([], idle())), ndjsonStream([line('r1', 'succeeded')])];
    const { transport, calls } = fakeFetch({ [`GET /v1/batches/${BATCH}/results`]: () => streams.shift() as Response });
    const clock = fakeClock();
    const { io, stdout, stderr } = fakeIo(transport, { clock });
    expect(await runCli(['results', BATCH, '--wait'], io)).toBe(EXIT_CODES.ok);
    expect(stdout.text).toBe(line('r1', 'succeeded'));
    expect({ calls: calls.length, waited: clock.elapsed(), notes: stderr.text }).toEqual({ calls: 9, waited: 0, notes: '' });
  });

  it('gives up on a stream that keeps breaking without a new line', async () => {
    const { transport, calls } = fakeFetch({ [`GET /v1/batches/${BATCH}/results`]: () => refused() });
    const { io } = fakeIo(transport);
    expect(await runCli(['results', BATCH, '--wait'], io)).toBe(EXIT_CODES.unreachable);
    expect(calls).toHaveLength(6);
  });
});

describe('parc status', () => {
  it('prints the counts readably', async () => {
    const { transport } = fakeFetch({ [`GET /v1/batches/${BATCH}`]: statuses(status({ succeeded: 1100, failed: 100, queued: 3800 }, false, 5000)) });
    const { io, stdout } = fakeIo(transport);
    expect(await runCli(['status', BATCH], io)).toBe(0);
    expect(stdout.text).toBe(
      [`batch ${BATCH}: in progress (1200/5000 finished)`, '  total         5000', '  succeeded     1100', '  failed         100', '  queued        3800', '  in flight        0', '  waiting retry    0', ''].join('\n'),
    );
  });

  it('names why requests failed when the proxy says', async () => {
    const { transport } = fakeFetch({ [`GET /v1/batches/${BATCH}`]: statuses({ ...status({ succeeded: 1, failed: 1 }, true), reasons: { retries_exhausted: 1 } }) });
    const { io, stdout } = fakeIo(transport);
    await runCli(['status', BATCH], io);
    expect(stdout.text).toContain(`batch ${BATCH}: complete (2/2 finished)`);
    expect(stdout.text).toContain('  failed because retries_exhausted 1\n');
  });

  it('--json prints the JSON as the proxy sent it', async () => {
    const raw = status({ succeeded: 2 }, true);
    const { transport } = fakeFetch({ [`GET /v1/batches/${BATCH}`]: () => json(200, raw) });
    const { io, stdout } = fakeIo(transport);
    await runCli(['status', BATCH, '--json'], io);
    expect(stdout.text).toBe(`${JSON.stringify(raw)}\n`);
  });
});

describe('parc cancel', () => {
  const batchCancelled = () => json(202, { ...status({ succeeded: 1, queued: 1 }), cancelRequested: true });
  const requestCancelled = () => json(202, { id: 'R', batchId: BATCH, state: 'queued', attempts: 0, cancelRequested: true });
  const noBatch = () => errorBody(404, 'UNKNOWN_ID', 'no batch');
  const noRequest = () => errorBody(404, 'UNKNOWN_ID', 'no request');

  it.each([
    { name: 'a batch id', routes: { 'DELETE /v1/batches/X': batchCancelled }, argv: [], exit: 0, paths: ['/v1/batches/X'], stdout: /cancelling batch .*: 1 of 2 requests not finished yet/ },
    { name: 'a request id (the batch guess 404s)', routes: { 'DELETE /v1/batches/X': noBatch, 'DELETE /v1/requests/X': requestCancelled }, argv: [], exit: 0, paths: ['/v1/batches/X', '/v1/requests/X'], stdout: /cancelling request R \(queued, 0 attempts so far\)/ },
    { name: 'neither', routes: { 'DELETE /v1/batches/X': noBatch, 'DELETE /v1/requests/X': noRequest }, argv: [], exit: 3, paths: ['/v1/batches/X', '/v1/requests/X'], stderr: /no batch or request X/ },
    { name: '--request skips the guess', routes: { 'DELETE /v1/requests/X': requestCancelled }, argv: ['--request'], exit: 0, paths: ['/v1/requests/X'] },
    { name: '--batch does not fall back', routes: { 'DELETE /v1/batches/X': noBatch }, argv: ['--batch'], exit: 3, paths: ['/v1/batches/X'] },
    { name: 'a finished batch', routes: { 'DELETE /v1/batches/X': () => errorBody(409, 'ALREADY_FINISHED', 'every request already finished') }, argv: [], exit: 3, paths: ['/v1/batches/X'], stderr: /409 ALREADY_FINISHED/ },
  ] as { name: string; routes: Record<string, Route>; argv: string[]; exit: number; paths: string[]; stdout?: RegExp; stderr?: RegExp }[])('$name', async ({ routes, argv, exit, paths, stdout: out, stderr: err }) => {
    const { transport, calls } = fakeFetch(routes);
    const { io, stdout, stderr } = fakeIo(transport);
    expect(await runCli(['cancel', 'X', ...argv], io)).toBe(exit);
    expect(calls.map((c) => c.url.pathname)).toEqual(paths);
    if (out !== undefined) expect(stdout.text).toMatch(out);
    if (err !== undefined) expect(stderr.text).toMatch(err);
  });
});

describe('parc dead', () => {
  it('lists one page, tab-separated, and says how to get the next', async () => {
    const { transport, calls } = fakeFetch({ 'GET /v1/callbacks/dead': () => json(200, { items: [{ id: 'd1', deadAt: '2026-01-01T00:00:00.000Z', reason: 'HTTP 500', url: 'http://cb/' }], next: 'd1' }) });
    const { io, stdout, stderr } = fakeIo(transport);
    expect(await runCli(['dead', 'list', '--limit', '1'], io)).toBe(0);
    expect(stdout.text).toBe('d1\t2026-01-01T00:00:00.000Z\tHTTP 500\thttp://cb/\n');
    expect(stderr.text).toBe('1 dead callbacks; more with: parc dead list --after d1\n');
    expect(calls[0]?.url.search).toBe('?limit=1');
  });

  it('--all follows every page', async () => {
    const pages = [{ items: [{ id: 'd1', deadAt: 't', reason: 'r' }], next: 'd1' }, { items: [{ id: 'd2', deadAt: 't', reason: 'r' }] }];
    const { transport, calls } = fakeFetch({ 'GET /v1/callbacks/dead': () => json(200, pages.shift()) });
    const { io, stdout } = fakeIo(transport);
    expect(await runCli(['dead', 'list', '--all', '--json'], io)).toBe(0);
    expect(JSON.parse(stdout.text)).toEqual({ items: [{ id: 'd1', deadAt: 't', reason: 'r' }, { id: 'd2', deadAt: 't', reason: 'r' }] });
    expect(calls.map((c) => c.url.search)).toEqual(['', '?after=d1']);
  });

  it('replays one id on its own route, several in one call; unknown ones exit 3', async () => {
    const { transport, calls } = fakeFetch({
      'POST /v1/callbacks/dead/d1/replay': () => json(202, { replayed: ['d1'], notFound: [] }),
      'POST /v1/callbacks/dead/replay': () => json(202, { replayed: ['d1'], notFound: ['d9'] }),
    });
    const one = fakeIo(transport);
    expect(await runCli(['dead', 'replay', 'd1'], one.io)).toBe(0);
    expect(one.stdout.text).toBe('replayed d1\n');
    const many = fakeIo(transport);
    expect(await runCli(['dead', 'replay', 'd1', 'd9'], many.io)).toBe(EXIT_CODES.refused);
    expect(many.stderr.text).toBe('parc: no dead callback d9 (1 replayed)\n');
    expect(calls[1]?.body).toBe('{"ids":["d1","d9"]}');
  });

  it('says an operator key is needed on 403', async () => {
    const { transport } = fakeFetch({ 'GET /v1/callbacks/dead': () => errorBody(403, 'FORBIDDEN', 'the API key may not use dead-letter routes') });
    const { io, stderr } = fakeIo(transport, { env: { PARC_API_KEY: 'k' } });
    expect(await runCli(['dead', 'list'], io)).toBe(EXIT_CODES.refused);
    expect(stderr.text).toMatch(/403 FORBIDDEN.*operator key/);
  });
});

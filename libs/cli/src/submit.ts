import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { basename } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import type { BatchAccepted, BatchStatus, RejectedLine } from './api-types';
import { println, type CommandContext } from './context';
import { createProgressView, type ProgressView } from './display';
import { CliError, EXIT_CODES, isCliError } from './errors';
import { parseJson } from './http';
import { formatSummary } from './progress';
import { streamResults, type ResultsTally } from './results';
import { waitForBatch } from './wait';

export type SubmitFormat = 'ndjson' | 'json';

/** `parc submit FILE|-` as parsed from the command line. */
export interface SubmitOptions {
  /** A path, or `-` for standard input. */
  readonly file: string;
  /** Default: `json` for a file ending `.json`, else `ndjson`. */
  readonly format?: SubmitFormat | undefined;
  /** Show progress until the batch is complete; the exit code then tells the outcome. */
  readonly wait: boolean;
  /** Write the final results here as they finish (implies `wait`). */
  readonly out?: string | undefined;
  /** NDJSON: the callback of every line without its own (`Parc-Callback-Url`). */
  readonly callback?: string | undefined;
  /** NDJSON: `Name: value` headers sent with that callback (`Parc-Callback-Headers`). */
  readonly callbackHeaders?: readonly string[] | undefined;
  /** One signed batch.completed event to this URL when the batch completes (`Parc-Batch-Callback-Url`). */
  readonly batchCallback?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  /** Print the proxy's 202 body instead of the batch id alone. */
  readonly json?: boolean | undefined;
}

/** Header names of the intake (libs/api/src/intake/ndjson-handler.ts, issue #14). */
export const SUBMIT_HEADERS = {
  callbackUrl: 'parc-callback-url',
  callbackHeaders: 'parc-callback-headers',
  batchCallbackUrl: 'parc-batch-callback-url',
  idempotencyKey: 'idempotency-key',
} as const;

const CONTENT_TYPES: Readonly<Record<SubmitFormat, string>> = { ndjson: 'application/x-ndjson', json: 'application/json' };

/** Rejected lines printed one by one; the rest are counted. */
const MAX_REJECTIONS_SHOWN = 20;

/** The body's format: `--format`, else by the file name (a body cannot be sniffed without reading it first). */
export function detectFormat(file: string, format?: SubmitFormat): SubmitFormat {
  return format ?? (file !== '-' && file.toLowerCase().endsWith('.json') ? 'json' : 'ndjson');
}

/** `Name: value` pairs as the JSON object `Parc-Callback-Headers` carries. @throws CliError USAGE. */
export function parseCallbackHeaders(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(':');
    const name = colon === -1 ? '' : pair.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new CliError('USAGE', `--callback-header ${JSON.stringify(pair)} is not "Name: value"`);
    }
    headers[name] = pair.slice(colon + 1).trim();
  }
  return headers;
}

/** The headers of the submission. @throws CliError USAGE for options the format cannot carry. */
export function submitHeaders(options: SubmitOptions, format: SubmitFormat): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[format] };
  const callbackHeaders = options.callbackHeaders ?? [];
  if (format === 'json' && (options.callback !== undefined || callbackHeaders.length > 0)) {
    throw new CliError('USAGE', '--callback and --callback-header work with NDJSON only: put "callback" in the JSON batch instead');
  }
  if (callbackHeaders.length > 0 && options.callback === undefined) throw new CliError('USAGE', '--callback-header needs --callback');
  if (options.callback !== undefined) headers[SUBMIT_HEADERS.callbackUrl] = options.callback;
  if (callbackHeaders.length > 0) headers[SUBMIT_HEADERS.callbackHeaders] = JSON.stringify(parseCallbackHeaders(callbackHeaders));
  if (options.batchCallback !== undefined) headers[SUBMIT_HEADERS.batchCallbackUrl] = options.batchCallback;
  if (options.idempotencyKey !== undefined) headers[SUBMIT_HEADERS.idempotencyKey] = options.idempotencyKey;
  return headers;
}

/** One line per rejected NDJSON line (the first {@link MAX_REJECTIONS_SHOWN}), with the proxy's reasons. */
export function describeRejections(rejected: readonly RejectedLine[]): string[] {
  const lines = rejected.slice(0, MAX_REJECTIONS_SHOWN).flatMap(({ line, error }) => [
    `line ${line} rejected (${error.code}): ${error.message}`,
    ...(error.details ?? []).map((d) => `  ${d.path}: ${d.message}`),
  ]);
  if (rejected.length > MAX_REJECTIONS_SHOWN) lines.push(`… and ${rejected.length - MAX_REJECTIONS_SHOWN} more rejected lines`);
  return lines;
}

interface Source {
  readonly stream: Readable;
  readonly sizeBytes: number | undefined;
}

async function openSource(file: string, stdin: Readable): Promise<Source> {
  if (file === '-') return { stream: stdin, sizeBytes: undefined };
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    throw new CliError('USAGE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  if (!info.isFile()) throw new CliError('USAGE', `cannot read ${file}: not a file`);
  return { stream: createReadStream(file), sizeBytes: info.size };
}

async function openOut(path: string): Promise<WriteStream> {
  const out = createWriteStream(path);
  try {
    await once(out, 'open');
  } catch (error) {
    throw new CliError('USAGE', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
  return out;
}

async function closeOut(out: WriteStream): Promise<void> {
  if (out.closed) return;
  const closed = once(out, 'close');
  out.end();
  await closed;
}

/** Sends the file (piped: read only as fast as the connection takes it); the proxy's 202 answer. */
async function send(ctx: CommandContext, options: SubmitOptions, view: ProgressView | undefined): Promise<BatchAccepted> {
  const format = detectFormat(options.file, options.format);
  const headers = submitHeaders(options, format);
  const source = await openSource(options.file, ctx.stdin);
  let sent = 0;
  let readError: unknown;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      view?.sending(sent, source.sizeBytes);
      done(null, chunk);
    },
  });
  // Remembered so that a file that fails to read is not taken for the proxy failing.
  source.stream.once('error', (error) => {
    readError = error;
  });
  // Errors and early ends travel both ways; they surface through the upload.
  pipeline(source.stream, counted, () => undefined);
  try {
    const response = await ctx.client.upload('/v1/requests', headers, counted);
    return parseJson<BatchAccepted>(await ctx.client.text(response), 'POST /v1/requests');
  } catch (error) {
    // A read error shows as a broken upload; an answer of the proxy (it stops the reading) wins.
    if (readError !== undefined && isCliError(error, 'UNREACHABLE')) {
      throw new CliError('USAGE', `cannot read ${options.file}: ${(readError as Error).message}`, { cause: readError });
    }
    throw error;
  } finally {
    source.stream.destroy();
  }
}

/** What a wait ended with. */
interface Outcome {
  readonly status: BatchStatus | undefined;
  readonly tally: ResultsTally | undefined;
}

/** Polls until complete while the results stream into `out`; either failing ends both. */
async function waitAndCollect(ctx: CommandContext, batchId: string, view: ProgressView, out: WriteStream | undefined): Promise<Outcome> {
  const stop = new AbortController();
  const note = (line: string) => view.note(line);
  const results =
    out === undefined
      ? undefined
      : streamResults({ client: ctx.client, batchId, wait: true, sink: out, clock: ctx.clock, random: ctx.random, signal: stop.signal, onNote: note });
  // A results stream that fails ends the wait at once; one that ends is awaited after the status says complete.
  const resultsFailed = results?.then(() => new Promise<never>(() => undefined));
  const waiting = waitForBatch({ client: ctx.client, batchId, view, clock: ctx.clock, pollMs: ctx.timings.pollMs, patienceMs: ctx.timings.patienceMs, signal: stop.signal });
  try {
    const status = await (resultsFailed === undefined ? waiting : Promise.race([waiting, resultsFailed]));
    return { status, tally: await results };
  } finally {
    stop.abort();
    // Whichever lost the race settles after the abort; nobody waits for it any more.
    waiting.catch(() => undefined);
    results?.catch(() => undefined);
  }
}

/**
 * `parc submit`: streams the file to `POST /v1/requests` and prints the batch id. With `wait`
 * (or `out`) it shows progress until the batch is complete and its exit code says how it went.
 * @returns the exit code: 3 when lines were rejected, else 2 when some requests failed, else 0.
 */
export async function submit(ctx: CommandContext, options: SubmitOptions): Promise<number> {
  const waiting = options.wait || options.out !== undefined;
  const out = options.out === undefined ? undefined : await openOut(options.out);
  const started = ctx.clock.now();
  const view = waiting
    ? createProgressView({ stream: ctx.stderr, now: () => ctx.clock.now(), source: options.file === '-' ? 'stdin' : basename(options.file), lineIntervalMs: ctx.timings.lineIntervalMs })
    : undefined;
  try {
    const accepted = await send(ctx, options, view);
    println(ctx.stdout, options.json === true ? JSON.stringify(accepted) : accepted.batchId);
    const rejected = accepted.rejected ?? [];
    const notes = [
      `batch ${accepted.batchId}: ${accepted.ids.length} requests accepted${rejected.length > 0 ? `, ${rejected.length} lines rejected` : ''}`,
      ...describeRejections(rejected),
    ];
    const say = view === undefined ? (line: string) => println(ctx.stderr, line) : (line: string) => view.note(line);
    notes.forEach(say);
    if (accepted.ids.length === 0) throw new CliError('REFUSED', `the proxy accepted no request${rejected.length > 0 ? ': every line was rejected' : ''}`);
    if (view === undefined) return rejected.length > 0 ? EXIT_CODES.refused : EXIT_CODES.ok;
    const { status, tally } = await waitAndCollect(ctx, accepted.batchId, view, out);
    view.stop();
    if (status !== undefined) println(ctx.stderr, formatSummary(status, ctx.clock.now() - started));
    if (tally !== undefined && options.out !== undefined) println(ctx.stderr, `${tally.lines} results written to ${options.out}`);
    if (rejected.length > 0) return EXIT_CODES.refused;
    return (status?.counts.failed ?? 0) > 0 ? EXIT_CODES.someFailed : EXIT_CODES.ok;
  } finally {
    view?.stop();
    if (out !== undefined) await closeOut(out);
  }
}

import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { backoffDelayMs, type DelayPolicy } from '@parc/backoff';
import type { ResultLine } from './api-types';
import type { Clock } from './clock';
import { CliError, isCliError } from './errors';
import { transportCode, type ProxyClient } from './http';
import { LineBuffer } from './lines';

/** What a results stream wrote. */
export interface ResultsTally {
  lines: number;
  succeeded: number;
  failed: number;
  /** The id of the last complete result line: where a broken stream resumes. */
  lastId: string | undefined;
}

/** Settings of {@link streamResults}. */
export interface ResultsStreamOptions {
  readonly client: ProxyClient;
  readonly batchId: string;
  /** Keep the stream open until the batch is complete (`?wait=true`). */
  readonly wait: boolean;
  /** Start after this request's line. */
  readonly after?: string | undefined;
  /** Where the lines go, byte for byte. */
  readonly sink: Writable;
  readonly clock: Clock;
  readonly random: () => number;
  /** Ends the stream (the promise then resolves with what was written). */
  readonly signal?: AbortSignal;
  /** Reconnections in a row that bring no new line before giving up. Default 5. */
  readonly maxReconnects?: number;
  /** Told about each reconnection, for stderr. */
  readonly onNote?: (line: string) => void;
}

/** Waits between reconnections: 0.5 s doubling to 10 s, between half and all of each bound. */
const RECONNECT_DELAYS: DelayPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, multiplier: 2, jitter: 'equal' };

/** A failure writing the sink: never worth reconnecting for. */
class SinkError extends Error {}

function look(line: Buffer): Partial<ResultLine> {
  try {
    const value = JSON.parse(line.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Partial<ResultLine>) : {};
  } catch {
    return {};
  }
}

async function write(sink: Writable, bytes: Buffer): Promise<void> {
  if (bytes.length === 0) return;
  try {
    if (!sink.write(bytes)) await once(sink, 'drain');
  } catch (error) {
    throw new SinkError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** A failure that a new connection may cure: no answer, a broken stream, a 5xx. */
function worthReconnecting(error: unknown): boolean {
  if (error instanceof SinkError) return false;
  if (!isCliError(error)) return true;
  return error.code === 'UNREACHABLE' || (error.code === 'UNEXPECTED' && (error.status ?? 0) >= 500);
}

/**
 * Copies `GET /v1/batches/:id/results` to `sink`: whole lines only, byte for byte, counting
 * outcomes. A stream that breaks is resumed after the last whole line (`?after=<id>`), so no
 * line is written twice or skipped; it gives up after `maxReconnects` attempts in a row that
 * brought nothing new.
 * @throws CliError as the proxy refused (e.g. 404 for an unknown batch), or UNREACHABLE.
 */
export async function streamResults(options: ResultsStreamOptions): Promise<ResultsTally> {
  const { client, batchId, clock, signal } = options;
  const tally: ResultsTally = { lines: 0, succeeded: 0, failed: 0, lastId: undefined };
  const path = `/v1/batches/${encodeURIComponent(batchId)}/results`;
  let failures = 0;
  for (;;) {
    const before = tally.lines;
    try {
      const response = await client.call('GET', path, {
        query: { wait: options.wait ? 'true' : undefined, after: tally.lastId ?? options.after },
        streaming: true,
        ...(signal === undefined ? {} : { signal }),
      });
      await copyLines(response, options.sink, tally);
      return tally;
    } catch (error) {
      if (signal?.aborted) return tally;
      const wrapped = error instanceof SinkError ? new CliError('UNEXPECTED', `cannot write the results: ${error.message}`, { cause: error }) : error;
      if (!worthReconnecting(error)) throw wrapped;
      // A waiting stream that stayed quiet past fetch's body timeout (5 min) is idle, not broken.
      if (transportCode(error) === 'UND_ERR_BODY_TIMEOUT') continue;
      failures = tally.lines > before ? 1 : failures + 1;
      if (failures > (options.maxReconnects ?? 5)) throw wrapped;
      const reason = error instanceof Error ? error.message : String(error);
      options.onNote?.(`the results stream broke (${reason}); resuming after ${tally.lastId ?? 'the start'}`);
      await clock.sleep(backoffDelayMs(RECONNECT_DELAYS, failures - 1, options.random), signal);
      if (signal?.aborted) return tally;
    }
  }
}

async function copyLines(response: Response, sink: Writable, tally: ResultsTally): Promise<void> {
  if (response.body === null) return;
  const buffer = new LineBuffer();
  for await (const chunk of response.body) {
    const { bytes, lines } = buffer.push(chunk);
    await write(sink, bytes);
    for (const line of lines) count(line, tally);
  }
  // A last line without its newline is still a line.
  const rest = buffer.rest();
  await write(sink, rest);
  if (rest.length > 0) count(rest, tally);
}

function count(line: Buffer, tally: ResultsTally): void {
  if (line.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d)) return;
  const { id, status } = look(line);
  tally.lines++;
  if (status === 'succeeded') tally.succeeded++;
  if (status === 'failed') tally.failed++;
  if (typeof id === 'string') tally.lastId = id;
}

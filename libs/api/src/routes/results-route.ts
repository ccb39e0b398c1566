import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ParcError } from '@parc/errors';
import type { RequestLedger } from '@parc/store';
import type { FastifyInstance } from 'fastify';
import { BatchResultsQuerySchema, UlidParamsSchema, type BatchResultsQuery } from '../schemas/bodies';
import { errorResponses } from './responses';

/** Results read from the ledger per round trip: what the stream holds in memory at most. */
const PAGE = 500;
/** What one write to the response holds, about: well below V8's large-object threshold. */
const CHUNK_CHARS = 32 * 1024;

export interface ResultsRouteOptions {
  readonly ledger: RequestLedger;
  /** With `?wait=true`, how often an exhausted stream looks for new results (default 500 ms). */
  readonly pollMs?: number;
}

const DESCRIPTION = `Streams the batch's final results as \`application/x-ndjson\`, one per line in the order the requests finished: each line is the body its callback has (or would have: requests without a callback URL are here too).

* Without \`wait\`, the results there are now, then the stream ends. \`wait=true\` keeps it open until the batch is complete (its intake over and every request final).
* \`after=<request id>\` resumes after that request's line: the id of the last line received.

Results are kept as long as their requests (\`LEDGER_RETENTION_MS\`, 7 days by default, counted from each request's last change); past that the batch is unknown: 404, never an empty answer. In a batch whose requests finished further apart than that, the earliest results may be gone while the batch is not: the stream then leaves them out and goes on with the rest.`;

/** `GET /v1/batches/:id/results`: a batch's results as a stream, page by page, with flat memory. */
export function registerResultsRoute(app: FastifyInstance, options: ResultsRouteOptions): void {
  const { ledger } = options;
  const pollMs = options.pollMs ?? 500;
  app.get<{ Params: { id: string }; Querystring: BatchResultsQuery }>(
    '/v1/batches/:id/results',
    {
      schema: {
        operationId: 'getBatchResults',
        tags: ['batches'],
        summary: 'A batch’s final results, streamed as NDJSON',
        description: DESCRIPTION,
        params: UlidParamsSchema,
        querystring: BatchResultsQuerySchema,
        response: { ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const batchId = request.params.id;
      const wait = request.query.wait === 'true';
      if ((await ledger.batch(batchId)) === undefined) {
        throw new ParcError('UNKNOWN_ID', `no batch ${batchId}: it was never accepted, or its results are past their retention (LEDGER_RETENTION_MS, 7 days by default)`);
      }
      const start = request.query.after === undefined ? undefined : await cursorAfter(ledger, batchId, request.query.after);
      // The client going away ends the stream, and a wait between polls with it.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      async function* lines(): AsyncGenerator<string> {
        let cursor = start;
        for (;;) {
          // Whether the batch was complete before this read: if so, this read sees its last results.
          const completeBefore = wait && (await ledger.batch(batchId))?.complete === true;
          const page = await ledger.results(batchId, cursor, PAGE);
          cursor = page.cursor;
          // Chunks of a few dozen KB: a page joined into one string of half a megabyte lands in
          // V8's large-object space, freed only by a full collection, and the proxy's memory
          // grew with the batch (+177 MB over 50,000 results of 1 KB); small chunks die young.
          let chunk = '';
          for (const { result } of page.results) {
            chunk += `${result}\n`;
            if (chunk.length >= CHUNK_CHARS) {
              yield chunk;
              chunk = '';
            }
          }
          if (chunk !== '') yield chunk;
          // By what the page went over, not what it holds: results past their retention leave
          // holes, and a page of 500 finished requests with 3 expired is still not the last.
          if (page.scanned === PAGE) continue;
          if (!wait || completeBefore || gone.signal.aborted) return;
          try {
            await sleep(pollMs, undefined, { signal: gone.signal });
          } catch {
            return;
          }
        }
      }
      return reply.type('application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(Readable.from(lines(), { objectMode: false }));
    },
  );
}

/** Where to resume after request `after`'s line. @throws ParcError UNKNOWN_ID when it has no result in this batch. */
async function cursorAfter(ledger: RequestLedger, batchId: string, after: string): Promise<string> {
  const [status, cursor] = await Promise.all([ledger.status(after), ledger.resultCursor(after)]);
  if (status === undefined || status.batchId !== batchId || cursor === undefined) {
    throw new ParcError('UNKNOWN_ID', `no result of request ${after} in batch ${batchId} to resume after: pass the id of a line this stream sent`);
  }
  return cursor;
}

import type { Hash } from 'node:crypto';
import { ParcError, type FieldIssue } from '@parc/errors';
import { describeIssues } from '@parc/envelope';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adviceHeaders, toParcError } from '../http-errors';
import { fingerprintHash, sendReplay } from '../idempotency';
import type { NdjsonBody } from '../parsers';
import type { CallbackSpec } from '../schemas/request-spec';
import { ChunkedAcceptor } from './chunked-acceptor';
import { acceptRequests, idempotencyKeyOf, sendAccepted, submissionIds, type IntakeDeps } from './intake-deps';
import { NdjsonSession } from './ndjson-session';

/** Header names of the NDJSON batch callback. */
export const CALLBACK_URL_HEADER = 'parc-callback-url';
export const CALLBACK_HEADERS_HEADER = 'parc-callback-headers';

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** Callback issues at the header they came from. */
function atHeader({ path, message }: FieldIssue): FieldIssue {
  if (path === 'callback.url') return { path: `headers.${CALLBACK_URL_HEADER}`, message };
  return { path: `headers.${CALLBACK_HEADERS_HEADER}${path.slice('callback.headers'.length)}`, message };
}

/**
 * The batch callback from `Parc-Callback-Url` and `Parc-Callback-Headers` (a JSON object),
 * checked before any line is read.
 * @throws ParcError REQUEST_INVALID naming the header.
 */
export function ndjsonCallback(deps: IntakeDeps, request: FastifyRequest): CallbackSpec | undefined {
  const url = header(request, CALLBACK_URL_HEADER);
  const rawHeaders = header(request, CALLBACK_HEADERS_HEADER);
  const issues: FieldIssue[] = [];
  let headers: unknown;
  if (rawHeaders !== undefined) {
    try {
      headers = JSON.parse(rawHeaders);
    } catch {
      issues.push({ path: `headers.${CALLBACK_HEADERS_HEADER}`, message: 'must be a JSON object of header names to string values' });
    }
    if (url === undefined) issues.push({ path: `headers.${CALLBACK_HEADERS_HEADER}`, message: `needs ${CALLBACK_URL_HEADER} as well` });
  }
  const callback = url === undefined ? undefined : ({ url, ...(headers === undefined ? {} : { headers }) } as CallbackSpec);
  if (callback !== undefined && issues.length === 0) issues.push(...deps.converter.callbackIssues(callback).map(atHeader));
  if (issues.length > 0) throw new ParcError('REQUEST_INVALID', `the batch callback is invalid: ${describeIssues(issues)}`, { details: issues });
  return callback;
}

/**
 * The completed entry of `key`, or undefined once the caller holds the key. Looks first, since
 * a stream's fingerprint is known only at its end; claims with a placeholder otherwise.
 * @throws ParcError IDEMPOTENCY_KEY_IN_PROGRESS.
 */
async function completedEntry(deps: IntakeDeps, key: string): Promise<{ fingerprint: string; response: string } | undefined> {
  const prior = await deps.gate.lookup(key);
  if (prior !== undefined || (await deps.gate.claimStream(key)) === 'claimed') return prior;
  // Completed between the look and the claim: it is a repeat after all.
  const completed = await deps.gate.lookup(key);
  if (completed === undefined) {
    throw new ParcError('IDEMPOTENCY_KEY_IN_PROGRESS', 'a submission with this Idempotency-Key is changing state; retry shortly');
  }
  return completed;
}

/** A repeat of a completed stream: read it all for its fingerprint, then replay or refuse. */
async function replayStream(reply: FastifyReply, body: NdjsonBody, hash: Hash, entry: { fingerprint: string; response: string }, deps: IntakeDeps) {
  for await (const chunk of body.stream) hash.update(chunk);
  const { replay } = deps.gate.judge(entry, hash.digest('hex'));
  deps.metrics.replays.inc();
  return sendReplay(reply, replay);
}

/** After part of a stream was accepted, the error body also says what was. */
function failAfterAccepting(deps: IntakeDeps, request: FastifyRequest, reply: FastifyReply, error: unknown, accepted: { batchId: string; ids: string[] }) {
  const parcError = toParcError(error, request, deps.options.limits);
  request.log.error({ err: error, batchId: accepted.batchId, accepted: accepted.ids.length }, 'NDJSON stream failed after accepting part of it');
  deps.metrics.rejected.inc({ reason: parcError.code.toLowerCase(), format: 'ndjson' });
  adviceHeaders(reply, parcError, deps.options.retryAfterSeconds);
  return reply.code(parcError.status ?? 500).send({ ...parcError.toJSON(), accepted });
}

/**
 * An NDJSON stream: lines are accepted in chunks while it is read; the answer lists the ids
 * and the rejected lines. An Idempotency-Key is completed with the whole stream's fingerprint.
 */
export async function handleNdjsonSubmission(deps: IntakeDeps, request: FastifyRequest, reply: FastifyReply, body: NdjsonBody) {
  const callback = ndjsonCallback(deps, request);
  const key = idempotencyKeyOf(deps, request);
  const hash = key === undefined ? undefined : fingerprintHash('ndjson', [header(request, CALLBACK_URL_HEADER), header(request, CALLBACK_HEADERS_HEADER)]);
  if (key !== undefined && hash !== undefined) {
    const prior = await completedEntry(deps, key);
    if (prior !== undefined) return replayStream(reply, body, hash, prior, deps);
  }
  const ids = submissionIds(request, deps.options.now());
  const acceptor = new ChunkedAcceptor({
    accept: (requests) => acceptRequests(deps, requests),
    chunkSize: deps.options.ndjsonChunkSize,
    chunkMs: deps.options.ndjsonChunkMs,
  });
  const session = new NdjsonSession({
    converter: deps.converter,
    checkSpec: deps.validation.requestSpec,
    acceptor,
    batch: callback === undefined ? {} : { callback },
    ids,
    limits: deps.options.limits,
    now: deps.options.now,
    hash,
    onLine: (outcome) => deps.metrics.ndjsonLines.inc({ outcome }),
  });
  let accepted: string[];
  try {
    accepted = await session.run(body.stream);
    if (session.requests === 0 && session.rejected.length === 0) {
      throw new ParcError('REQUEST_INVALID', 'the NDJSON body holds no requests: send one JSON RequestSpec per line');
    }
  } catch (error) {
    if (key !== undefined) await deps.gate.release(key);
    if (acceptor.ids.length === 0) throw error;
    return failAfterAccepting(deps, request, reply, error, { batchId: ids.batchId, ids: acceptor.ids });
  }
  const response = JSON.stringify({ batchId: ids.batchId, ids: accepted, rejected: session.rejected });
  if (key !== undefined && hash !== undefined) await deps.gate.complete(key, hash.digest('hex'), response);
  const summary = { format: 'ndjson', batchId: ids.batchId, accepted: accepted.length, rejected: session.rejected.length } as const;
  return sendAccepted(deps, request, reply, summary, response);
}

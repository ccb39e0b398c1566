import type { Hash } from 'node:crypto';
import { ParcError, type FieldIssue } from '@parc/errors';
import { describeIssues } from '@parc/envelope';
import type { AcceptedRequest, CompletedEntry, StreamGuard } from '@parc/store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adviceHeaders, toParcError } from '../http-errors';
import { fingerprintHash, refusal, sendReplay, type StreamHold } from '../idempotency';
import type { NdjsonBody } from '../parsers';
import type { CallbackSpec } from '../schemas/request-spec';
import { BATCH_CALLBACK_URL_HEADER, acceptRequests, batchCallbackOf, idempotencyKeyOf, sealBatch, sendAccepted, submissionIds, type IntakeDeps } from './intake-deps';
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

/** A repeat of a completed stream: read it all for its fingerprint, then replay or refuse. */
async function replayStream(reply: FastifyReply, body: NdjsonBody, hash: Hash, entry: CompletedEntry, deps: IntakeDeps) {
  for await (const chunk of body.stream) hash.update(chunk);
  const { replay } = deps.gate.judge(entry, hash.digest('hex'));
  deps.metrics.replays.inc();
  return sendReplay(reply, replay);
}

/** Writes one chunk; under a key, only while this stream holds it, recording its progress. */
async function writeChunk(deps: IntakeDeps, requests: AcceptedRequest[], guard: StreamGuard | undefined): Promise<void> {
  const outcome = await acceptRequests(deps, requests, guard);
  if (outcome.kind !== 'accepted') throw refusal(outcome);
}

/** After part of a stream was accepted, the error body also says what was. */
function failAfterAccepting(deps: IntakeDeps, request: FastifyRequest, reply: FastifyReply, error: unknown, accepted: { batchId: string; ids: string[] }) {
  const parcError = toParcError(error, request, deps.options.limits);
  request.log.error({ err: error, batchId: accepted.batchId, accepted: accepted.ids.length }, 'NDJSON stream failed after accepting part of it');
  deps.metrics.rejected.inc({ reason: parcError.code.toLowerCase(), format: 'ndjson' });
  adviceHeaders(reply, parcError, deps.options.retryAfterSeconds);
  return reply.code(parcError.status ?? 500).send({ ...parcError.toJSON(), accepted });
}

/** A stream under an Idempotency-Key: the key's hold and the fingerprint being computed. */
interface KeyedStream {
  readonly hold: StreamHold;
  readonly fingerprint: Hash;
}

/**
 * An NDJSON stream: lines are accepted in chunks while it is read; the answer lists the ids
 * and the rejected lines. Under an Idempotency-Key the stream holds the key (a lock renewed while
 * it is read), every chunk records how far the stream got, and the answer is stored with the
 * whole stream's fingerprint at the end. A stream whose holder died (or failed) part-way is
 * resumed by the next submission of the same body: same batch, the ids accepted before, the
 * rest accepted once.
 */
export async function handleNdjsonSubmission(deps: IntakeDeps, request: FastifyRequest, reply: FastifyReply, body: NdjsonBody) {
  const callback = ndjsonCallback(deps, request);
  const batchCallback = batchCallbackOf(deps, request);
  const key = idempotencyKeyOf(deps, request);
  if (key === undefined) return acceptStream(deps, request, reply, body, { callback, batchCallback }, undefined);
  const fingerprint = fingerprintHash('ndjson', [header(request, CALLBACK_URL_HEADER), header(request, CALLBACK_HEADERS_HEADER), header(request, BATCH_CALLBACK_URL_HEADER)]);
  const claim = await deps.gate.claimStream(key);
  if ('completed' in claim) return replayStream(reply, body, fingerprint, claim.completed, deps);
  return acceptStream(deps, request, reply, body, { callback, batchCallback }, { hold: claim, fingerprint });
}

async function acceptStream(
  deps: IntakeDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  body: NdjsonBody,
  { callback, batchCallback }: { readonly callback: CallbackSpec | undefined; readonly batchCallback: CallbackSpec | undefined },
  keyed: KeyedStream | undefined,
): Promise<FastifyReply> {
  const resume = keyed?.hold.resume;
  const fresh = submissionIds(request, deps.options.now());
  const ids = resume === undefined ? fresh : { ...fresh, batchId: resume.batchId };
  const session = new NdjsonSession({
    converter: deps.converter,
    checkSpec: deps.validation.requestSpec,
    write: (requests, position) => writeChunk(deps, requests, keyed?.hold.guard(ids.batchId, position)),
    chunkSize: deps.options.ndjsonChunkSize,
    chunkMs: deps.options.ndjsonChunkMs,
    ...(resume === undefined ? {} : { resume }),
    batch: callback === undefined ? {} : { callback },
    ids,
    limits: deps.options.limits,
    now: deps.options.now,
    ...(keyed === undefined ? {} : { hash: keyed.fingerprint }),
    onLine: (outcome) => deps.metrics.ndjsonLines.inc({ outcome }),
  });
  let accepted: string[];
  try {
    accepted = await session.run(body.stream);
    if (session.requests === 0 && session.rejected.length === 0) {
      throw new ParcError('REQUEST_INVALID', 'the NDJSON body holds no requests: send one JSON RequestSpec per line');
    }
  } catch (error) {
    // What was accepted stays recorded under the key: a retry of the same body resumes it.
    await keyed?.hold.release();
    if (session.accepted.length === 0) throw error;
    return failAfterAccepting(deps, request, reply, error, { batchId: ids.batchId, ids: [...session.accepted] });
  }
  const response = JSON.stringify({ batchId: ids.batchId, ids: accepted, rejected: session.rejected });
  // The whole stream is in: the batch is sealed before the key records its answer, so a retry
  // after a crash in between resumes (and seals) rather than replays an unsealed batch.
  if (accepted.length > 0) await sealBatch(deps, ids.batchId, batchCallback);
  await keyed?.hold.complete(keyed.fingerprint.digest('hex'), response);
  const summary = { format: 'ndjson', batchId: ids.batchId, accepted: accepted.length - session.resumedIds, rejected: session.rejected.length, ids } as const;
  return sendAccepted(deps, request, reply, summary, response);
}

import { newUlid, describeIssues } from '@parc/envelope';
import { ParcError, type FieldIssue } from '@parc/errors';
import type { AcceptGuard, AcceptOutcome, AcceptedRequest, BatchSeal } from '@parc/store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BacklogGuard } from '../backlog';
import type { IdempotencyGate } from '../idempotency';
import type { ApiMetrics, IntakeFormat } from '../metrics';
import type { ResolvedApiOptions } from '../options';
import { apiKeyName } from '../request-context';
import type { CallbackSpec } from '../schemas/request-spec';
import type { Validation } from '../validation';
import type { SpecConverter, SubmissionIds } from './converter';
import { clientTraceOf } from './trace';

/** What the intake handlers share, built once per API instance. */
export interface IntakeDeps {
  readonly options: ResolvedApiOptions;
  readonly converter: SpecConverter;
  readonly validation: Validation;
  readonly gate: IdempotencyGate;
  readonly guard: BacklogGuard;
  readonly metrics: ApiMetrics;
}

/**
 * A new batch id, and the client's trace context when it sent a valid `traceparent`;
 * `oneRequest` when the submission is known to hold a single request (it then continues the
 * client's trace, see {@link SubmissionIds}).
 */
export function submissionIds(request: FastifyRequest, nowMs: number, oneRequest = false): SubmissionIds {
  const client = clientTraceOf(request.headers);
  return client === undefined ? { batchId: newUlid(nowMs) } : { batchId: newUlid(nowMs), client, oneRequest };
}

/**
 * The one write of accepted requests: inbox append, ledger record and (with `guard`) the
 * Idempotency-Key's answer or stream progress in one atomic step. The backlog guard counts
 * accepted requests until its next reading.
 */
export async function acceptRequests(deps: IntakeDeps, requests: AcceptedRequest[], guard?: AcceptGuard): Promise<AcceptOutcome> {
  const outcome = await deps.options.ledger.accept(deps.options.queues.inbox, requests, guard);
  if (outcome.kind === 'accepted') deps.guard.noteAccepted(requests.length);
  return outcome;
}

/** The scoped Idempotency-Key of a submission, if it has one. */
export function idempotencyKeyOf(deps: IntakeDeps, request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  return typeof header === 'string' ? deps.gate.scope(apiKeyName(request), header) : undefined;
}

/** Records an accepted submission (metrics, one log line without bodies) and sends the 202. */
export function sendAccepted(
  deps: IntakeDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  summary: { readonly format: IntakeFormat; readonly batchId: string; readonly accepted: number; readonly rejected?: number; readonly ids?: SubmissionIds },
  response: string,
): FastifyReply {
  const apiKey = apiKeyName(request);
  const { format, batchId, accepted, rejected } = summary;
  deps.metrics.accepted.inc({ api_key: apiKey, format }, accepted);
  deps.metrics.batches.inc({ format });
  deps.metrics.intakeSeconds.observe({ format }, reply.elapsedTime / 1000);
  // The client's trace id puts the batch in the client's trace, even where its requests start their own.
  const traceId = summary.ids?.client?.parent.traceId;
  request.log.info({ batchId, apiKey, format, accepted, ...(rejected === undefined ? {} : { rejected }), ...(traceId === undefined ? {} : { traceId }) }, 'batch accepted');
  return reply.code(202).type('application/json; charset=utf-8').send(response);
}

/** The header naming a batch's batch.completed callback (JSON and NDJSON alike). */
export const BATCH_CALLBACK_URL_HEADER = 'parc-batch-callback-url';

/**
 * The batch callback of a submission: the JSON body's `batchCallback`, or the
 * `Parc-Batch-Callback-Url` header; checked as any callback is (egress policy), before anything is
 * accepted.
 * @throws ParcError REQUEST_INVALID naming the field or header.
 */
export function batchCallbackOf(deps: IntakeDeps, request: FastifyRequest, fromBody?: CallbackSpec): CallbackSpec | undefined {
  const header = request.headers[BATCH_CALLBACK_URL_HEADER];
  const headerUrl = typeof header === 'string' ? header : undefined;
  if (fromBody !== undefined && headerUrl !== undefined) {
    throw new ParcError('REQUEST_INVALID', `the batch callback is given twice: use batchCallback or ${BATCH_CALLBACK_URL_HEADER}, not both`, {
      details: [{ path: `headers.${BATCH_CALLBACK_URL_HEADER}`, message: 'batchCallback is in the body already' }],
    });
  }
  const callback = fromBody ?? (headerUrl === undefined ? undefined : { url: headerUrl });
  if (callback === undefined) return undefined;
  const at = fromBody === undefined ? `headers.${BATCH_CALLBACK_URL_HEADER}` : 'batchCallback';
  const issues: FieldIssue[] = deps.converter.callbackIssues(callback).map(({ path, message }) => ({ path: path.replace(/^callback(\.url)?/, fromBody === undefined ? at : `${at}$1`), message }));
  if (issues.length > 0) throw new ParcError('REQUEST_INVALID', `the batch callback is invalid: ${describeIssues(issues)}`, { details: issues });
  return callback;
}

/**
 * Ends a batch's intake (see `BatchSeal`): once every request of it is final it is complete, and
 * its batch callback, if any, is called once. Idempotent, so a replayed submission seals again.
 */
export async function sealBatch(deps: IntakeDeps, batchId: string, callback: CallbackSpec | undefined): Promise<void> {
  const seal: BatchSeal = callback === undefined ? { batchId } : { batchId, callback: callback.headers === undefined ? { url: callback.url } : { url: callback.url, headers: callback.headers } };
  await deps.options.ledger.seal(seal, deps.options.queues.callbacks);
}

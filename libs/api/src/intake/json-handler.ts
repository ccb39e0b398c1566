import { ParcError } from '@parc/errors';
import { SpanGroup } from '@parc/tracing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { refusal, sendReplay } from '../idempotency';
import { fingerprintOf } from '../request-context';
import { acceptRequests, batchCallbackOf, idempotencyKeyOf, sealBatch, sendAccepted, submissionIds, type IntakeDeps } from './intake-deps';
import type { BatchSubmission } from '../schemas/bodies';
import { buildJsonBatch } from './json-batch';
import type { SubmissionIds } from './converter';

/** Refuses a batch with too many requests before anything else looks at it: 413 naming the limit. */
export function checkBatchSize(deps: IntakeDeps, body: unknown): void {
  const requests = (body as { requests?: unknown } | null)?.requests;
  const max = deps.options.limits.maxBatchRequests;
  if (Array.isArray(requests) && requests.length > max) {
    throw new ParcError(
      'PAYLOAD_TOO_LARGE',
      `the batch holds ${requests.length} requests, more than ${max} (limit maxBatchRequests); split it or stream the requests as application/x-ndjson`,
    );
  }
}

/**
 * A JSON batch: its size is checked, then every item is checked and converted, so an invalid
 * item means nothing is enqueued; then one `ledger.accept` writes the whole batch before the 202
 * is sent. With an Idempotency-Key, the same write stores the answer, or writes nothing and
 * returns the stored answer of an earlier submission: a proxy dying before it answered leaves
 * either no trace or the answer that a retry gets.
 */
export async function handleJsonSubmission(deps: IntakeDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  checkBatchSize(deps, request.body);
  const nowMs = deps.options.now();
  const requests = (request.body as { requests?: unknown } | null)?.requests;
  const ids = submissionIds(request, nowMs, Array.isArray(requests) && requests.length === 1);
  // The accept spans (tracing on) end once the requests are stored, or with the error that refused them.
  const spans = deps.options.tracing.enabled ? new SpanGroup() : undefined;
  try {
    const reply202 = await acceptJsonBatch(deps, request, reply, ids, nowMs, spans);
    spans?.end();
    return reply202;
  } catch (error) {
    spans?.end(error);
    throw error;
  }
}

async function acceptJsonBatch(deps: IntakeDeps, request: FastifyRequest, reply: FastifyReply, ids: SubmissionIds, nowMs: number, spans: SpanGroup | undefined): Promise<FastifyReply> {
  const accepted = buildJsonBatch(request.body, { checkBatch: deps.validation.batch, converter: deps.converter }, ids, nowMs, spans);
  const batchCallback = batchCallbackOf(deps, request, (request.body as BatchSubmission).batchCallback);
  const response = JSON.stringify({ batchId: ids.batchId, ids: accepted.map((item) => item.id) });
  const key = idempotencyKeyOf(deps, request);
  const guard = key === undefined ? undefined : deps.gate.batchGuard(key, fingerprintOf(request) ?? '', response);
  const outcome = await acceptRequests(deps, accepted, guard);
  if (outcome.kind === 'replay') {
    // The first submission may have died between its accept and its seal: seal again (idempotent).
    await sealBatch(deps, (JSON.parse(outcome.response) as { batchId: string }).batchId, batchCallback);
    deps.metrics.replays.inc();
    return sendReplay(reply, outcome.response);
  }
  if (outcome.kind !== 'accepted') throw refusal(outcome);
  await sealBatch(deps, ids.batchId, batchCallback);
  return sendAccepted(deps, request, reply, { format: 'json', batchId: ids.batchId, accepted: accepted.length, ids }, response);
}

import { ParcError } from '@parc/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendReplay } from '../idempotency';
import { fingerprintOf } from '../request-context';
import { acceptRequests, idempotencyKeyOf, sendAccepted, submissionIds, type IntakeDeps } from './intake-deps';
import { buildJsonBatch } from './json-batch';

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
 * item means nothing is enqueued; then the Idempotency-Key is claimed, and one `ledger.accept`
 * writes the whole batch before the 202 is sent.
 */
export async function handleJsonSubmission(deps: IntakeDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  checkBatchSize(deps, request.body);
  const nowMs = deps.options.now();
  const ids = submissionIds(request, nowMs);
  const accepted = buildJsonBatch(request.body, { checkBatch: deps.validation.batch, converter: deps.converter }, ids, nowMs);
  const response = JSON.stringify({ batchId: ids.batchId, ids: accepted.map((item) => item.id) });
  const key = idempotencyKeyOf(deps, request);
  const fingerprint = fingerprintOf(request) ?? '';
  if (key !== undefined) {
    const claim = await deps.gate.claim(key, fingerprint);
    if (claim !== 'claimed') {
      deps.metrics.replays.inc();
      return sendReplay(reply, claim.replay);
    }
  }
  try {
    await acceptRequests(deps, accepted);
  } catch (error) {
    if (key !== undefined) await deps.gate.release(key);
    throw error;
  }
  if (key !== undefined) await deps.gate.complete(key, fingerprint, response);
  return sendAccepted(deps, request, reply, { format: 'json', batchId: ids.batchId, accepted: accepted.length }, response);
}

import { ParcError } from '@parc/errors';
import type { BatchStatus, RequestLedger, RequestStatus } from '@parc/store';
import type { FastifyInstance } from 'fastify';
import { BatchStatusSchema, RequestStatusSchema, UlidParamsSchema } from '../schemas/bodies';
import { described, errorResponses } from './responses';

interface IdParams {
  readonly id: string;
}

const isFinished = (state: string): boolean => state === 'succeeded' || state === 'failed';

/** The API view of a request: the stored final result parsed back into JSON. */
export function requestView(status: RequestStatus): Record<string, unknown> {
  const { id, batchId, state, attempts, cancelRequested, result } = status;
  return { id, batchId, state, attempts, cancelRequested, ...(result === undefined ? {} : { result: JSON.parse(result) as unknown }) };
}

const unknownRequest = (id: string) => new ParcError('UNKNOWN_ID', `no request ${id}: it was never accepted, or it expired`);
const unknownBatch = (id: string) => new ParcError('UNKNOWN_ID', `no batch ${id}: it was never accepted, or it expired`);

/** Finished requests cannot be cancelled: 409 says so instead of a 202 that would promise something. */
async function cancelRequest(ledger: RequestLedger, id: string): Promise<RequestStatus> {
  const current = await ledger.status(id);
  if (current === undefined) throw unknownRequest(id);
  if (isFinished(current.state)) {
    throw new ParcError('ALREADY_FINISHED', `request ${id} already finished (${current.state}); there is nothing to cancel`);
  }
  const status = await ledger.requestCancel(id);
  if (status === undefined) throw unknownRequest(id);
  return status;
}

async function cancelBatch(ledger: RequestLedger, batchId: string): Promise<BatchStatus> {
  const current = await ledger.batch(batchId);
  if (current === undefined) throw unknownBatch(batchId);
  if (current.counts.succeeded + current.counts.failed >= current.total) {
    throw new ParcError('ALREADY_FINISHED', `every request of batch ${batchId} already finished; there is nothing to cancel`);
  }
  const status = await ledger.requestBatchCancel(batchId);
  if (status === undefined) throw unknownBatch(batchId);
  return status;
}

const CANCEL_NOTE =
  'Answers 202 with the current status; unfinished requests end `failed` with reason `cancelled` shortly after, and are attempted no more (one already in flight completes its attempt). 409 when already finished.';

const VIEWS = {
  request: { tag: 'requests', schema: described(RequestStatusSchema, 'The request’s state') },
  batch: { tag: 'batches', schema: described(BatchStatusSchema, 'Counts by state') },
} as const;

/** A route schema: reads answer 200, cancellations 202 (or 409 when finished). */
function routeSchema(view: keyof typeof VIEWS, operationId: string, summary: string, cancel = false) {
  const { tag, schema } = VIEWS[view];
  return {
    operationId,
    tags: [tag],
    summary,
    ...(cancel ? { description: CANCEL_NOTE } : {}),
    params: UlidParamsSchema,
    response: cancel ? { 202: schema, ...errorResponses(400, 401, 404, 409) } : { 200: schema, ...errorResponses(400, 401, 404) },
  };
}

/** Status and cancellation of requests and batches, read from the request ledger. */
export function registerStatusRoutes(app: FastifyInstance, ledger: RequestLedger): void {
  app.get<{ Params: IdParams }>('/v1/requests/:id', { schema: routeSchema('request', 'getRequest', 'A request’s state and, once finished, its final result') }, async (request) => {
    const status = await ledger.status(request.params.id);
    if (status === undefined) throw unknownRequest(request.params.id);
    return requestView(status);
  });

  app.delete<{ Params: IdParams }>('/v1/requests/:id', { schema: routeSchema('request', 'cancelRequest', 'Cancel a request', true) }, async (request, reply) =>
    reply.code(202).send(requestView(await cancelRequest(ledger, request.params.id))),
  );

  app.get<{ Params: IdParams }>('/v1/batches/:id', { schema: routeSchema('batch', 'getBatch', 'A batch’s progress: counts by state') }, async (request) => {
    const status = await ledger.batch(request.params.id);
    if (status === undefined) throw unknownBatch(request.params.id);
    return status;
  });

  app.delete<{ Params: IdParams }>('/v1/batches/:id', { schema: routeSchema('batch', 'cancelBatch', 'Cancel every unfinished request of a batch', true) }, async (request, reply) =>
    reply.code(202).send(await cancelBatch(ledger, request.params.id)),
  );
}

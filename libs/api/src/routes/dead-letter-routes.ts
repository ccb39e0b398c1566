import { ParcError } from '@parc/errors';
import type { DeadLetter, DeadLetterStore } from '@parc/store';
import type { FastifyInstance } from 'fastify';
import { requireOperator } from './operator';
import {
  DeadLetterPageSchema,
  DeadLetterQuerySchema,
  DeadLetterSchema,
  IdParamsSchema,
  ReplayRequestSchema,
  ReplayResultSchema,
  type DeadLetterQuery,
  type ReplayRequest,
} from '../schemas/bodies';
import { described, errorResponses } from './responses';

/** Settings of the dead-letter routes. */
export interface DeadLetterRouteOptions {
  readonly store: DeadLetterStore;
  /** The responder's callback queue, where replayed jobs go. */
  readonly callbacksQueue: string;
  /** Key names allowed here; undefined: every key. */
  readonly operatorKeys?: readonly string[];
}

const DEFAULT_PAGE = 100;

const parseJob = (job: string): unknown => {
  try {
    return JSON.parse(job);
  } catch {
    return job;
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Turns a dead callback job (`{ id, url, headers?, body, attempt, traceId? }`) into a fresh one:
 * `attempt` back to 0, any `lastError` dropped, the rest kept. A job that is not a JSON object
 * is replayed as it is.
 */
export function resetCallbackJob(job: string): string {
  const value = parseJob(job);
  if (!isObject(value)) return job;
  const { lastError: _lastError, ...rest } = value;
  return JSON.stringify({ ...rest, attempt: 0 });
}

function summary(letter: DeadLetter): Record<string, unknown> {
  const job = parseJob(letter.job);
  const url = isObject(job) && typeof job['url'] === 'string' ? job['url'] : undefined;
  return { id: letter.id, deadAt: new Date(letter.deadAt).toISOString(), reason: letter.reason, ...(url === undefined ? {} : { url }) };
}

const schemaOf = (operationId: string, summaryText: string, parts: Record<string, unknown>) => ({
  operationId,
  tags: ['dead callbacks'],
  summary: summaryText,
  ...parts,
});

/**
 * Operator routes over callbacks that exhausted their retries: list, inspect, replay (one or
 * many). Replayed jobs go back to the callback queue with their attempt count reset.
 */
export function registerDeadLetterRoutes(app: FastifyInstance, options: DeadLetterRouteOptions): void {
  const { store, callbacksQueue, operatorKeys } = options;
  requireOperator(app, operatorKeys, 'dead-letter');
  const replay = async (ids: readonly string[]) => {
    const replayed = await store.replay(ids, callbacksQueue, resetCallbackJob);
    const moved = new Set(replayed);
    return { replayed, notFound: ids.filter((id) => !moved.has(id)) };
  };
  const errors = errorResponses(400, 401, 403, 404);

  app.get<{ Querystring: DeadLetterQuery }>(
    '/v1/callbacks/dead',
    { schema: schemaOf('listDeadCallbacks', 'Callbacks that exhausted their retries, oldest first', { querystring: DeadLetterQuerySchema, response: { 200: described(DeadLetterPageSchema, 'One page'), ...errors } }) },
    async (request) => {
      const { limit, after } = request.query;
      const page = await store.list({ limit: limit === undefined ? DEFAULT_PAGE : Number(limit), ...(after === undefined ? {} : { after }) });
      return { items: page.items.map(summary), ...(page.next === undefined ? {} : { next: page.next }) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/callbacks/dead/:id',
    { schema: schemaOf('getDeadCallback', 'One dead callback with its job', { params: IdParamsSchema, response: { 200: described(DeadLetterSchema, 'The dead letter'), ...errors } }) },
    async (request) => {
      const letter = await store.get(request.params.id);
      if (letter === undefined) throw new ParcError('UNKNOWN_ID', `no dead callback ${request.params.id}`);
      return { ...summary(letter), job: parseJob(letter.job) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/callbacks/dead/:id/replay',
    { schema: schemaOf('replayDeadCallback', 'Deliver one dead callback again', { params: IdParamsSchema, response: { 202: described(ReplayResultSchema, 'Queued for delivery'), ...errors } }) },
    async (request, reply) => {
      const result = await replay([request.params.id]);
      if (result.replayed.length === 0) throw new ParcError('UNKNOWN_ID', `no dead callback ${request.params.id}`);
      return reply.code(202).send(result);
    },
  );

  app.post<{ Body: ReplayRequest }>(
    '/v1/callbacks/dead/replay',
    { schema: schemaOf('replayDeadCallbacks', 'Deliver several dead callbacks again', { body: ReplayRequestSchema, response: { 202: described(ReplayResultSchema, 'Queued for delivery; unknown ids listed'), ...errors } }) },
    async (request, reply) => reply.code(202).send(await replay(request.body.ids)),
  );
}

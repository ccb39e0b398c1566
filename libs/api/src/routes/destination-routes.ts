import { ParcError } from '@parc/errors';
import type { DestinationGate } from '@parc/store';
import type { FastifyInstance } from 'fastify';
import { refTo } from '../schemas/bodies';
import { DestinationKeyParamsSchema, DestinationListSchema, DestinationSchema } from '../schemas/destinations';
import { requireOperator } from './operator';
import { described, errorResponses } from './responses';

export interface DestinationRouteOptions {
  readonly gate: DestinationGate;
  /** Key names allowed here; undefined: every key. */
  readonly operatorKeys?: readonly string[];
}

const schemaOf = (operationId: string, summary: string, parts: Record<string, unknown>) => ({ operationId, tags: ['destinations'], summary, ...parts });

/**
 * Operator routes over the destination gate (docs/destinations.md): what each key is doing, and
 * pause / resume. A paused key's requests wait without using attempts until resumed or until
 * their deadline.
 */
export function registerDestinationRoutes(app: FastifyInstance, { gate, operatorKeys }: DestinationRouteOptions): void {
  requireOperator(app, operatorKeys, 'destination');
  const errors = errorResponses(400, 401, 403, 404);
  const one = { params: DestinationKeyParamsSchema, response: { 200: described(refTo(DestinationSchema), 'The key'), ...errors } };

  app.get(
    '/v1/destinations',
    { schema: schemaOf('listDestinations', 'Destination keys active in the last hour: limits, breaker, concurrency, outcomes', { response: { 200: described(DestinationListSchema, 'The keys'), ...errors } }) },
    async () => ({ destinations: await gate.list() }),
  );

  app.get<{ Params: { key: string } }>('/v1/destinations/:key', { schema: schemaOf('getDestination', 'One destination key', one) }, async (request) => {
    const state = await gate.get(request.params.key);
    if (state === undefined) throw new ParcError('UNKNOWN_ID', `no destination key ${JSON.stringify(request.params.key)} was active in the last hour`);
    return state;
  });

  app.post<{ Params: { key: string } }>(
    '/v1/destinations/:key/pause',
    { schema: schemaOf('pauseDestination', 'Stop calling a key: its requests wait (no attempt used) until resumed or until their deadline', one) },
    async (request) => gate.setPaused(request.params.key, true),
  );

  app.post<{ Params: { key: string } }>(
    '/v1/destinations/:key/resume',
    { schema: schemaOf('resumeDestination', 'Call a paused key again', one) },
    async (request) => gate.setPaused(request.params.key, false),
  );
}

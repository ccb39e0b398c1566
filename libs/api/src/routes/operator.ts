import { ParcError } from '@parc/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiKeyName } from '../request-context';

/**
 * Lets only the operator keys into `scope` (every key when `operatorKeys` is undefined).
 * `what` names the routes in the 403.
 */
export function requireOperator(scope: FastifyInstance, operatorKeys: readonly string[] | undefined, what: string): void {
  if (operatorKeys === undefined) return;
  scope.addHook('preHandler', async (request: FastifyRequest) => {
    if (!operatorKeys.includes(apiKeyName(request))) {
      throw new ParcError('FORBIDDEN', `this API key may not use the ${what} routes; use an operator key`);
    }
  });
}

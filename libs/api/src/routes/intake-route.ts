import type { FastifyInstance } from 'fastify';
import { handleJsonSubmission } from '../intake/json-handler';
import type { IntakeDeps } from '../intake/intake-deps';
import { CALLBACK_HEADERS_HEADER, CALLBACK_URL_HEADER, handleNdjsonSubmission } from '../intake/ndjson-handler';
import { NdjsonBody } from '../parsers';
import { BatchAcceptedSchema, IntakeHeadersSchema } from '../schemas/bodies';
import { NDJSON } from '../validation';
import { described, errorResponses } from './responses';

const DESCRIPTION = `Accepts HTTP requests for Parc to perform and answers 202 as soon as they are stored; results go to the callback URL and to \`GET /v1/requests/{id}\`.

* \`application/json\`: a batch. Any invalid item → 400 listing every problem, and nothing is enqueued.
* \`${NDJSON}\`: one RequestSpec per line, accepted while the body streams. Invalid lines are listed in \`rejected\` and not enqueued. The batch callback comes from the \`${CALLBACK_URL_HEADER}\` and \`${CALLBACK_HEADERS_HEADER}\` headers.

With \`Idempotency-Key\`, a repeat with the same body gets the first answer (header \`Idempotent-Replayed: true\`) and enqueues nothing.`;

/** `POST /v1/requests`: the JSON batch and the NDJSON stream on one route, told apart by Content-Type. */
export function registerIntakeRoute(app: FastifyInstance, deps: IntakeDeps): void {
  app.post('/v1/requests', {
    schema: {
      operationId: 'submitRequests',
      tags: ['requests'],
      summary: 'Submit requests (JSON batch or NDJSON stream)',
      description: DESCRIPTION,
      headers: IntakeHeadersSchema,
      body: {
        content: {
          'application/json': { schema: deps.validation.intakeBodies.json },
          [NDJSON]: { schema: deps.validation.intakeBodies.ndjson },
        },
      },
      response: {
        202: described(BatchAcceptedSchema, 'Accepted: ids in input order (NDJSON: of the accepted lines, plus `rejected`).'),
        ...errorResponses(400, 401, 409, 413, 415, 422, 503),
      },
    },
    // Overload is refused before the body is read: parsing it would only add to the load.
    onRequest: async () => deps.guard.check(),
    handler: async (request, reply) =>
      request.body instanceof NdjsonBody
        ? handleNdjsonSubmission(deps, request, reply, request.body)
        : handleJsonSubmission(deps, request, reply),
  });
}

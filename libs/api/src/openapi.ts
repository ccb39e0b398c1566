import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Paths of the API's own documentation. */
export const DOCS_PATHS = { openapi: '/openapi.json', ui: '/docs' } as const;

const DESCRIPTION = `Parc performs HTTP requests on your behalf, retries them with exponential backoff, and POSTs one signed final result per request to your callback URL (Standard Webhooks).

Errors always have the body \`{"error": {"code", "message", "details"?}}\`; codes are stable (see docs/errors.md).`;

/**
 * Collects every route registered after it in this scope into an OpenAPI 3.1 document built
 * from the route schemas, the same ones that validate requests. Shared schemas keep their
 * `$id` as their component name.
 */
export async function registerOpenApi(app: FastifyInstance, authDisabled: boolean): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Parc API', version: '1.0.0', description: DESCRIPTION },
      tags: [
        { name: 'requests', description: 'Submit requests, follow and cancel them' },
        { name: 'batches', description: 'Progress and cancellation of a whole batch' },
        { name: 'dead callbacks', description: 'Operators: callbacks that exhausted their retries' },
      ],
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key the operator configured' } },
      },
      security: authDisabled ? [] : [{ apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => String(json['$id'] ?? `def-${index}`) },
  });
}

/**
 * Serves the document at `/openapi.json` and Swagger UI at `/docs`. The UI's assets ship with
 * the package, so the page works without network access.
 */
export async function registerDocsRoutes(app: FastifyInstance): Promise<void> {
  app.get(DOCS_PATHS.openapi, { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: DOCS_PATHS.ui, uiConfig: { deepLinking: true } });
}

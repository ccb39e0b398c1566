import type { ServiceApp } from '@parc/service-kit';
import { verifyWebhook, type WebhookSecret } from '@parc/webhooks';

/** A callback the demo receiver got, with whether its signature verified. */
interface DemoCallback {
  readonly receivedAt: string;
  readonly webhookId: string;
  readonly signatureValid: boolean;
  readonly result: unknown;
}

const KEPT_CALLBACKS = 100;

/**
 * Demo routes for the embedded mode, so a newcomer can try Parc with no server of their own:
 * a target (`/demo/echo`, `/demo/flaky`) and a callback receiver (`/demo/callbacks`) that checks
 * signatures and keeps the last 100 results in memory. Never mounted by the real services.
 */
export function registerDemoRoutes(app: ServiceApp, secrets: readonly WebhookSecret[]): void {
  const callbacks: DemoCallback[] = [];
  const flakyCalls = new Map<string, number>();

  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/demo/echo',
    handler: async (request) => ({ method: request.method, query: request.query, body: request.body ?? null, at: new Date().toISOString() }),
  });

  app.get<{ Querystring: { failures?: string; key?: string } }>('/demo/flaky', async (request, reply) => {
    const key = request.query.key ?? 'default';
    const failures = Number(request.query.failures ?? '2');
    const calls = (flakyCalls.get(key) ?? 0) + 1;
    flakyCalls.set(key, calls);
    if (calls <= failures) return reply.code(503).header('retry-after', '1').send({ call: calls, outcome: 'failing on purpose' });
    return { call: calls, outcome: 'ok at last' };
  });

  app.register(async (scope) => {
    // The signature covers the exact bytes sent, so this route keeps the raw body.
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/demo/callbacks', async (request, reply) => {
      const body = String(request.body);
      const check = verifyWebhook({ headers: request.headers as Record<string, string>, body, secrets });
      callbacks.unshift({
        receivedAt: new Date().toISOString(),
        webhookId: String(request.headers['webhook-id'] ?? ''),
        signatureValid: check.ok,
        result: JSON.parse(body) as unknown,
      });
      callbacks.length = Math.min(callbacks.length, KEPT_CALLBACKS);
      return reply.code(204).send();
    });
  });
  app.get('/demo/callbacks', async () => ({ callbacks }));
}

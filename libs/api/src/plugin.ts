import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import { Registry } from 'prom-client';
import { ApiKeyRing } from './auth';
import { BacklogGuard } from './backlog';
import { createErrorHandler } from './http-errors';
import { IdempotencyGate } from './idempotency';
import { SpecConverter } from './intake/converter';
import type { IntakeDeps } from './intake/intake-deps';
import { apiMetrics } from './metrics';
import { registerDocsRoutes, registerOpenApi } from './openapi';
import { resolveApiOptions, type PublicApiOptions, type ResolvedApiOptions } from './options';
import { installBodyParsers } from './parsers';
import { ANONYMOUS, setApiKeyName } from './request-context';
import { registerDeadLetterRoutes } from './routes/dead-letter-routes';
import { registerDestinationRoutes } from './routes/destination-routes';
import { registerIntakeRoute } from './routes/intake-route';
import { registerResultsRoute } from './routes/results-route';
import { registerStatusRoutes } from './routes/status-routes';
import { SHARED_SCHEMAS } from './schemas/bodies';
import { createValidation } from './validation';

function intakeDeps(app: FastifyInstance, options: ResolvedApiOptions): IntakeDeps {
  const registry = options.registry ?? (app as { metrics?: Registry }).metrics ?? new Registry();
  const metrics = apiMetrics(registry);
  return {
    options,
    metrics,
    validation: createValidation(options.limits),
    converter: new SpecConverter(options),
    gate: new IdempotencyGate({ store: options.idempotency, ttlMs: options.idempotencyTtlMs, lockMs: options.idempotencyLockMs, log: app.log }),
    guard: new BacklogGuard({
      read: options.inboxBacklog,
      watermark: options.backlogWatermark,
      refreshMs: options.backlogRefreshMs,
      minRetryAfterSeconds: options.retryAfterSeconds,
      maxRetryAfterSeconds: Math.max(options.retryAfterSeconds, options.retryAfterMaxSeconds),
      now: options.now,
      gauge: metrics.inboxBacklog,
      log: app.log,
    }),
  };
}

/** What the `/v1` scope is registered with: the intake's deps and the key ring (none when auth is off). */
interface PluginOptions extends IntakeDeps {
  readonly keys: ApiKeyRing | undefined;
}

/** The `/v1` routes, behind the API key check. */
async function v1Routes(app: FastifyInstance, { keys, ...deps }: PluginOptions): Promise<void> {
  const { options } = deps;
  app.addHook('onRequest', async (request) => {
    setApiKeyName(request, keys === undefined ? ANONYMOUS : keys.authenticate(request.headers.authorization));
  });
  registerIntakeRoute(app, deps);
  registerStatusRoutes(app, options.ledger);
  registerResultsRoute(app, { ledger: options.ledger, ...(options.resultsPollMs === undefined ? {} : { pollMs: options.resultsPollMs }) });
  // Its own scope: the operator-key check must not reach the other routes.
  await app.register(async (scope) =>
    registerDeadLetterRoutes(scope, { store: options.deadLetters, callbacksQueue: options.queues.callbacks, operatorKeys: options.operatorKeys }),
  );
  const gate = options.destinations;
  if (gate !== undefined) await app.register(async (scope) => registerDestinationRoutes(scope, { gate, operatorKeys: options.operatorKeys }));
}

/** The API's scope: its body parsers, validator and error handler stay inside it. */
async function publicApi(app: FastifyInstance, { options, keys }: { options: ResolvedApiOptions; keys: ApiKeyRing | undefined }): Promise<void> {
  const deps = intakeDeps(app, options);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  app.setValidatorCompiler(deps.validation.compiler);
  app.setErrorHandler(createErrorHandler({ limits: options.limits, retryAfterSeconds: options.retryAfterSeconds, metrics: deps.metrics }));
  installBodyParsers(app, options.limits);
  if (options.docs) await registerOpenApi(app, options.authDisabled);
  await app.register(v1Routes, { ...deps, keys });
  if (options.docs) await app.register(registerDocsRoutes);
}

/**
 * Registers Parc's public HTTP API on `app` as an encapsulated plugin: `POST /v1/requests`
 * (JSON batch and NDJSON stream), request and batch status and cancellation, the dead-letter
 * operator routes, and (unless `docs: false`) `/openapi.json` and `/docs`. Storage is reached
 * only through the ports in `options`, so the same code runs on Redis and in memory.
 *
 * Options are checked before anything is registered.
 * @throws ParcError CONFIG_INVALID naming a bad option (no API keys, short keys, …).
 */
export function registerPublicApi<Logger extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  options: PublicApiOptions,
): PromiseLike<undefined> {
  const resolved = resolveApiOptions(options);
  const keys = resolved.authDisabled ? undefined : new ApiKeyRing(resolved.apiKeys);
  // The plugin only logs through the base logger interface, so any logger type may host it.
  return (app as unknown as FastifyInstance).register(publicApi, { options: resolved, keys });
}

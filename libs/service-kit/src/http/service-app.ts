import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ParcError, isParcError } from '@parc/errors';
import fastify, { LogController, type FastifyInstance, type RawReplyDefaultExpression, type RawServerDefault } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger';
import { httpRequestDuration, readinessGauge } from '../metrics';
import { HEALTH_PATHS, healthPlugin } from './health-plugin';
import { createReadiness, type Readiness, type ReadinessCheck } from './readiness';

/**
 * A service's Fastify instance: health and metrics served, house errors, and the
 * readiness state and metrics registry that stages extend.
 */
export type ServiceApp = FastifyInstance<RawServerDefault, IncomingMessage, RawReplyDefaultExpression, Logger> & {
  /** Readiness checks and the shutting-down flag behind `/health/ready`. */
  readonly readiness: Readiness;
  /** The service's metrics registry, served on `/metrics`; stages register their metrics here. */
  readonly metrics: Registry;
  /** Where a failure that no retry can mend (bad configuration found after start-up) is reported. */
  readonly fatal: FatalChannel;
};

/**
 * A failure that must end the process, found after start-up (e.g. by a stage that starts in the
 * background). The app logs it at fatal level; the lifecycle (`runService`) subscribes and exits 1.
 */
export interface FatalChannel {
  report(error: unknown): void;
  subscribe(listener: (error: unknown) => void): void;
}

function createFatalChannel(logger: Logger): FatalChannel {
  const listeners: ((error: unknown) => void)[] = [];
  return {
    report: (error) => {
      logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
      for (const listener of listeners) listener(error);
    },
    subscribe: (listener) => void listeners.push(listener),
  };
}

export interface ServiceAppOptions {
  /** Name of the service, as `/health/ready` reports it (the logger carries it on every line). */
  readonly service: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly readinessChecks?: readonly ReadinessCheck[];
}

/** Incoming `x-request-id` values are reused only when they look like ids, never as free text. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const QUIET_PATHS = new Set<string>(Object.values(HEALTH_PATHS));

function isQuiet(request: { url?: string }): boolean {
  return QUIET_PATHS.has((request.url ?? '').split('?', 1)[0] ?? '');
}

/**
 * Builds the Fastify app every service starts from: pino logger instance, strict Ajv (no type
 * coercion, no silent removal of unknown properties, all errors reported), request ids from
 * `x-request-id`, JSON as the only body type (others get 415), `/health/live`, `/health/ready`,
 * `/metrics`, a request-duration histogram, and `{ error: { code, message } }` bodies for
 * unknown routes and for ParcErrors thrown by routes.
 */
export function buildServiceApp(options: ServiceAppOptions): ServiceApp {
  const app = fastify({
    loggerInstance: options.logger,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
    genReqId: requestId,
    logController: new LogController({ disableRequestLogging: isQuiet }),
  });
  const readiness = createReadiness(options.readinessChecks);
  readinessGauge(options.registry, readiness);
  app.decorate('readiness', { getter: () => readiness });
  app.decorate('metrics', { getter: () => options.registry });
  const fatal = createFatalChannel(options.logger);
  app.decorate('fatal', { getter: () => fatal });

  // Fastify parses text/plain by default; an API that takes JSON must refuse it with 415.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const duration = httpRequestDuration(options.registry);
  app.addHook('onResponse', async (request, reply) => {
    // Unmatched paths share one label value so that scanners cannot grow the series count.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?', 1)[0]?.slice(0, 200);
    return reply.code(404).send(new ParcError('NOT_FOUND', `No route for ${request.method} ${path}`).toJSON());
  });

  app.setErrorHandler(async (error, request, reply) => {
    // Other errors (validation, 415, 413, …) keep Fastify's default status and body.
    if (!isParcError(error)) throw error;
    const status = error.status ?? 500;
    if (status >= 500) request.log.error({ err: error }, error.message);
    return reply.code(status).send(error.toJSON());
  });

  app.register(healthPlugin, { service: options.service, readiness, registry: options.registry });
  return app as unknown as ServiceApp;
}

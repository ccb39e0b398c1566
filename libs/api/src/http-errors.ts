import { describeIssues } from '@parc/envelope';
import { ParcError, isParcError, type ErrorCode } from '@parc/errors';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiMetrics } from './metrics';
import type { ApiLimits } from './options';
import { validationIssues } from './validation';

/** Settings the error handler needs. */
export interface ErrorHandlerSettings {
  readonly limits: ApiLimits;
  readonly retryAfterSeconds: number;
  readonly metrics: ApiMetrics;
}

/** Fastify's own client errors, by code, as catalog codes with messages a user can act on. */
function fromFastify(error: FastifyError, request: FastifyRequest, limits: ApiLimits): ParcError | undefined {
  switch (error.code) {
    case 'FST_ERR_VALIDATION': {
      const context = (error as { validationContext?: string }).validationContext;
      const data = context === undefined ? undefined : (request as unknown as Record<string, unknown>)[context];
      const details = validationIssues(error.validation ?? [], context, data);
      return new ParcError('REQUEST_INVALID', `the request is invalid: ${describeIssues(details)}`, { details });
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = request.headers['content-type'] ?? '(none)';
      return new ParcError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${type.slice(0, 100)} is not accepted: send application/json (or application/x-ndjson to POST /v1/requests)`,
      );
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ParcError(
        'PAYLOAD_TOO_LARGE',
        `the body is larger than ${limits.maxJsonBodyBytes} bytes (limit maxJsonBodyBytes); split it, or stream requests as application/x-ndjson`,
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ParcError('BODY_MALFORMED', 'the body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ParcError('BODY_MALFORMED', 'the body length does not match Content-Length');
    default:
      return undefined;
  }
}

/** Codes for other client errors Fastify raises, by status. */
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Any error raised while serving the API, as a catalog error (unexpected ones as INTERNAL_ERROR). */
export function toParcError(error: unknown, request: FastifyRequest, limits: ApiLimits): ParcError {
  if (isParcError(error)) return error;
  const fastifyError = error as FastifyError;
  const translated = typeof fastifyError.code === 'string' ? fromFastify(fastifyError, request, limits) : undefined;
  if (translated !== undefined) return translated;
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new ParcError(CODE_BY_STATUS[status] ?? 'REQUEST_INVALID', fastifyError.message, { cause: error });
  }
  return new ParcError('INTERNAL_ERROR', `unexpected error while serving request ${request.id}`, { cause: error });
}

/** Headers that tell the client what to do next: when to come back, how to authenticate. */
export function adviceHeaders(reply: FastifyReply, error: ParcError, retryAfterSeconds: number): void {
  // An error that knows when to come back (a full inbox draining at a measured rate) says so.
  if (error.status === 503) reply.header('retry-after', String(error.retryAfterSeconds ?? retryAfterSeconds));
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="parc"');
}

/** Which intake format a request used, for metric labels. */
export function formatOf(request: FastifyRequest): 'json' | 'ndjson' | 'other' {
  const type = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  return type === 'application/json' ? 'json' : type === 'application/x-ndjson' ? 'ndjson' : 'other';
}

/**
 * The API scope's error handler: every error becomes the house body with a catalog code;
 * 5xx are logged with their cause, intake refusals are counted by reason.
 */
export function createErrorHandler(settings: ErrorHandlerSettings) {
  return function handleApiError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const parcError = toParcError(error, request, settings.limits);
    const status = parcError.status ?? 500;
    // Backlog refusals are the designed answer to overload: logging each would add to it.
    if (status >= 500 && parcError.code !== 'BACKLOG_FULL') request.log.error({ err: error }, parcError.message);
    if (request.method === 'POST' && request.routeOptions.url === '/v1/requests') {
      settings.metrics.rejected.inc({ reason: parcError.code.toLowerCase(), format: formatOf(request) });
    }
    adviceHeaders(reply, parcError, settings.retryAfterSeconds);
    return reply.code(status).send(parcError.toJSON());
  };
}

/**
 * The proxy's public HTTP API as a Fastify plugin: intake (JSON batches, NDJSON streams,
 * Idempotency-Key, limits, backpressure), status and cancellation, dead-letter callbacks for
 * operators, and the OpenAPI document generated from the schemas that validate requests.
 */
export { registerPublicApi } from './plugin';
export { DEFAULT_API_LIMITS, type ApiKeyInput, type ApiLimits, type PublicApiOptions } from './options';
export { MIN_API_KEY_LENGTH, operatorAuthorizer } from './auth';
export { DOCS_PATHS } from './openapi';
export { CALLBACK_HEADERS_HEADER, CALLBACK_URL_HEADER } from './intake/ndjson-handler';
export { resetCallbackJob } from './routes/dead-letter-routes';
export {
  RequestSpecSchema,
  RequestDefaultsSchema,
  RetrySpecSchema,
  CallbackSpecSchema,
  type RequestSpec,
  type RequestDefaults,
  type RetrySpec,
  type CallbackSpec,
} from './schemas/request-spec';
export { ErrorBodySchema, BatchSubmissionSchema, BatchAcceptedSchema, type BatchSubmission, type BatchAccepted } from './schemas/bodies';

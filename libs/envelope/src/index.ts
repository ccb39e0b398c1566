/**
 * The self-contained request envelope: schema (v1), validation, creation, ids, wire format and
 * the helpers stages use to record attempts. Pure: no I/O, no clock of its own.
 */
export {
  ENVELOPE_VERSION,
  SUPPORTED_ENVELOPE_VERSIONS,
  ULID_PATTERN,
  TRACE_ID_PATTERN,
  TRACEPARENT_PATTERN,
  MAX_TRACESTATE_LENGTH,
  UTC_TIMESTAMP_PATTERN,
  HTTP_TOKEN_PATTERN,
  HTTP_METHODS,
  httpMethodSchema,
  type HttpMethod,
  EnvelopeSchema,
  EnvelopeRequestSchema,
  EnvelopeCallbackSchema,
  RetryPolicySchema,
  AttemptSchema,
  MetadataSchema,
  RequestHeadersSchema,
  ResponseHeadersSchema,
  TransportErrorCodeSchema,
  EndReasonSchema,
  END_REASONS,
  FlowControlSchema,
  FlowWaitSchema,
  TraceContextSchema,
  FLOW_KEY_PATTERN,
  FLOW_LIMIT_BOUNDS,
  MAX_FLOW_KEY_LENGTH,
  type FlowControl,
  type FlowWait,
  type TraceContext,
  type EndReason,
  type Envelope,
  type EnvelopeRequest,
  type EnvelopeCallback,
  type Attempt,
  type AttemptError,
  type ResponseHeaders,
} from './schema';
export { DEFAULT_ENVELOPE_LIMITS, resolveEnvelopeLimits, type EnvelopeLimits } from './limits';
export { createAjv, ajvErrorsToIssues, type AjvIssueOptions } from './ajv-issues';
export { FORBIDDEN_REQUEST_HEADERS, BODYLESS_METHODS, hasEmptyHostLabel } from './http-rules';
export { validateEnvelope, assertValidEnvelope, describeIssues, type EnvelopeValidation } from './validate';
export {
  createEnvelope,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type EnvelopeInput,
  type RequestInput,
  type CreateEnvelopeOptions,
} from './create';
export { newUlid, newTraceId } from './ids';
export { serializeEnvelope, parseEnvelope } from './serialize';
export { appendAttempt, requestBodyBytes, outcomeOf, deadlineAtMs, type AttemptRecord } from './attempts';
export { recordBody, type RecordedBody } from './base64';
export { FinalResultSchema, finalResult, type FinalResult, type FinalOutcome } from './result';
export { flowKeyOf } from './flow';

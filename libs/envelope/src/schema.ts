import {
  JITTER_MODES,
  RETRY_POLICY_BOUNDS,
  TRANSPORT_ERROR_CODES,
  type JitterMode,
  type RetryPolicy,
  type TransportErrorCode,
} from '@parc/backoff';
import { Type, type Static } from '@sinclair/typebox';

/**
 * The envelope's JSON schemas (TypeBox, i.e. plain JSON Schema the HTTP API can turn into
 * OpenAPI) and the TypeScript types derived from them. Structural rules live here; rules that
 * depend on configurable limits or need real parsing (URLs, base64) live in `rules/*`.
 */

/** The schema version this build writes. */
export const ENVELOPE_VERSION = 1;
/** Versions this build reads; `parseEnvelope` refuses anything else. */
export const SUPPORTED_ENVELOPE_VERSIONS: readonly number[] = Object.freeze([ENVELOPE_VERSION]);

/** A ULID: 26 Crockford base32 characters, first one 0–7 (48-bit timestamp). */
export const ULID_PATTERN = '^[0-7][0-9A-HJKMNP-TV-Z]{25}$';
/** W3C trace-context trace-id: 32 lowercase hex characters, not all zero. */
export const TRACE_ID_PATTERN = '^(?!0{32}$)[0-9a-f]{32}$';
/** W3C trace-context `traceparent`, version 00: version, trace-id, parent span id (neither all zero), flags. */
export const TRACEPARENT_PATTERN = '^00-(?!0{32}-)[0-9a-f]{32}-(?!0{16}-)[0-9a-f]{16}-[0-9a-f]{2}$';
/** The longest `tracestate` kept (W3C: 32 list members; vendors may cut it at 512 characters). */
export const MAX_TRACESTATE_LENGTH = 512;
/** What `Date.prototype.toISOString()` produces: UTC with a `Z`, optional milliseconds. */
export const UTC_TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,3})?Z$';
/** RFC 9110 `token`: the grammar of header names (methods are limited further, to {@link HTTP_METHODS}). */
export const HTTP_TOKEN_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

/**
 * The methods Parc performs: the set Cloud Tasks accepts. TRACE (the target echoes the request,
 * credentials included, into the recorded response) and CONNECT (a tunnel, not a request) are
 * refused, and so are extension methods. Methods are case-sensitive (RFC 9110 §9.1) and HTTP
 * clients send them as given, so `post` is refused rather than silently sent as another method.
 */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** One of {@link HTTP_METHODS}. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** An HTTP method Parc performs (an `enum`, so the OpenAPI document lists them). */
export const httpMethodSchema = (options: { readonly description: string; readonly default?: HttpMethod }) =>
  Type.Unsafe<HttpMethod>({ type: 'string', enum: [...HTTP_METHODS], ...options });

/** A flow-control key: printable, no white space (it is shown in URLs, `/v1/destinations/:key`, and logs). */
export const FLOW_KEY_PATTERN = '^[\\x21-\\x7E]+$';

/** What a value failing one of the patterns above should have been, for error messages. */
export const PATTERN_EXPECTATIONS: Readonly<Record<string, string>> = Object.freeze({
  [ULID_PATTERN]: 'must be a ULID (26 characters of Crockford base32, e.g. 01ARZ3NDEKTSV4RRFFQ69G5FAV)',
  [TRACE_ID_PATTERN]: 'must be 32 lowercase hexadecimal characters, not all zero (a W3C trace-context trace-id)',
  [TRACEPARENT_PATTERN]: 'must be a W3C traceparent such as 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  [UTC_TIMESTAMP_PATTERN]: 'must be an ISO-8601 UTC timestamp such as 2025-01-31T12:00:00.000Z',
  [FLOW_KEY_PATTERN]: 'must be printable ASCII without spaces, e.g. partner-42 or https://api.example.com',
});

const Ulid = (description: string) => Type.String({ pattern: ULID_PATTERN, description });
const Timestamp = (description: string) =>
  Type.String({ format: 'date-time', pattern: UTC_TIMESTAMP_PATTERN, description });

/** Header name → value, as sent. Names keep the case the user gave. */
export const RequestHeadersSchema = Type.Record(Type.String(), Type.String());

/** A transport failure code (see `@parc/backoff`). */
export const TransportErrorCodeSchema = Type.Unsafe<TransportErrorCode>({
  type: 'string',
  enum: [...TRANSPORT_ERROR_CODES],
});

const bounded = ({ min, max }: { min: number; max: number }) => ({ minimum: min, maximum: max });

/** The complete retry policy carried by every envelope (the shape of `RetryPolicy`). */
export const RetryPolicySchema = Type.Object(
  {
    maxAttempts: Type.Integer(bounded(RETRY_POLICY_BOUNDS.maxAttempts)),
    initialDelayMs: Type.Integer(bounded(RETRY_POLICY_BOUNDS.initialDelayMs)),
    maxDelayMs: Type.Integer(bounded(RETRY_POLICY_BOUNDS.maxDelayMs)),
    multiplier: Type.Number(bounded(RETRY_POLICY_BOUNDS.multiplier)),
    jitter: Type.Unsafe<JitterMode>({ type: 'string', enum: [...JITTER_MODES] }),
    retryOnStatuses: Type.Array(Type.Integer(bounded(RETRY_POLICY_BOUNDS.retryStatus)), { uniqueItems: true }),
    retryOnErrors: Type.Array(TransportErrorCodeSchema, { uniqueItems: true }),
    respectRetryAfter: Type.Boolean(),
    maxRetryAfterMs: Type.Integer(bounded(RETRY_POLICY_BOUNDS.maxRetryAfterMs)),
  },
  { additionalProperties: false },
);

// Compile-time check: the schema and the backoff lib's interface must describe the same object
// (mutually assignable, same keys). If they drift, this line stops the build.
type Agree<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;
type Assert<T extends true> = T;
type _RetryPolicySchemaMatchesInterface = Assert<Agree<Static<typeof RetryPolicySchema>, RetryPolicy>>;

/** The HTTP request to perform. */
export const EnvelopeRequestSchema = Type.Object(
  {
    method: httpMethodSchema({ description: 'HTTP method, upper case' }),
    url: Type.String({ minLength: 1, description: 'Absolute http(s) URL of the target' }),
    headers: RequestHeadersSchema,
    bodyBase64: Type.Optional(Type.String({ contentEncoding: 'base64', description: 'Request body bytes, base64' })),
    timeoutMs: Type.Integer({ minimum: 1, description: 'Time allowed for one attempt, headers and body' }),
    propagateTrace: Type.Optional(
      Type.Boolean({ description: 'false: no traceparent/tracestate header is added to the call (written only when false)' }),
    ),
  },
  { additionalProperties: false },
);

/** Where the final result goes. */
export const EnvelopeCallbackSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'Absolute http(s) URL receiving the signed result' }),
    headers: Type.Optional(RequestHeadersSchema),
  },
  { additionalProperties: false },
);

/** Free-form JSON object from the user, echoed back with the result. */
export const MetadataSchema = Type.Record(Type.String(), Type.Unknown());

/** Response header name → value(s), as received (repeated headers become arrays). */
export const ResponseHeadersSchema = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Array(Type.String())], { description: 'a string or an array of strings' }),
);

/** The outcome of one attempt; it has a `status`, an `error`, or both (body failed after headers). */
export const AttemptSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1, description: '1-based attempt number' }),
    startedAt: Timestamp('When the attempt started'),
    durationMs: Type.Number({ minimum: 0 }),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    headers: Type.Optional(ResponseHeadersSchema),
    bodyBase64: Type.Optional(Type.String({ contentEncoding: 'base64', description: 'Response body, possibly truncated' })),
    bodyTruncated: Type.Optional(Type.Boolean()),
    error: Type.Optional(
      Type.Object({ code: TransportErrorCodeSchema, message: Type.String() }, { additionalProperties: false }),
    ),
    retryAfterMs: Type.Optional(Type.Integer({ minimum: 0, description: "The server's Retry-After, in ms" })),
  },
  { additionalProperties: false },
);

/** Reasons a caller stage ends a request without (another) attempt. */
export const END_REASONS = ['cancelled', 'deadline_exceeded'] as const;
export type EndReason = (typeof END_REASONS)[number];

/**
 * Set by the caller stage on an envelope it does not attempt (the request was cancelled, or its
 * deadline passed while it waited): the next stage finalises it as failed with this reason.
 * Optional and additive within v1; users never supply it.
 */
export const EndReasonSchema = Type.Unsafe<EndReason>({
  type: 'string',
  enum: [...END_REASONS],
  description: 'Why the request ended without another attempt (set by the pipeline)',
});

/** The longest flow-control key. */
export const MAX_FLOW_KEY_LENGTH = 200;
/** Bounds of the flow-control numbers. */
export const FLOW_LIMIT_BOUNDS = Object.freeze({
  rate: { min: 1, max: 100_000 },
  periodMs: { min: 1, max: 86_400_000 },
  parallelism: { min: 1, max: 10_000 },
});

/**
 * Flow control (docs/destinations.md): which requests share limits (`key`, default the target's
 * origin) and the limits. The same schema serves the API and the envelope.
 */
export const FlowControlSchema = Type.Object(
  {
    key: Type.Optional(
      Type.String({ minLength: 1, maxLength: MAX_FLOW_KEY_LENGTH, pattern: FLOW_KEY_PATTERN, description: "Requests with the same key share its limits; default: the target URL's origin" }),
    ),
    rate: Type.Optional(Type.Integer({ ...bounded(FLOW_LIMIT_BOUNDS.rate), description: 'At most this many calls of the key start in any window of periodMs' })),
    periodMs: Type.Optional(Type.Integer({ ...bounded(FLOW_LIMIT_BOUNDS.periodMs), description: "The rate's sliding window (default 1000); only with rate" })),
    parallelism: Type.Optional(Type.Integer({ ...bounded(FLOW_LIMIT_BOUNDS.parallelism), description: 'At most this many calls of the key in flight at once, across every caller and Parc' })),
    adaptive: Type.Optional(Type.Boolean({ description: 'Learn how many calls in flight the destination takes (at most parallelism when set)' })),
  },
  { additionalProperties: false, description: 'Limits shared by the requests of one key' },
);

/**
 * Set by the caller stage on a request that had to wait for its key's capacity: its turn (it goes
 * ahead of newcomers when it comes back) and how often it waited. Users never supply it.
 */
export const FlowWaitSchema = Type.Object(
  {
    turnAtMs: Type.Integer({ minimum: 0, description: 'When its turn comes (epoch ms)' }),
    waits: Type.Integer({ minimum: 1, description: 'Times it was told to wait' }),
  },
  { additionalProperties: false },
);

/**
 * The request's place in its trace (docs/tracing.md): the `traceparent` of the span the proxy
 * accepted it under (or, with tracing off, of the client's or a new trace with a fresh span id),
 * and the client's `tracestate` when it continues the client's trace. Set once, at intake; the
 * trace id in it is the envelope's `traceId`. Every later stage's span is a child of it.
 */
export const TraceContextSchema = Type.Object(
  {
    traceparent: Type.String({ pattern: TRACEPARENT_PATTERN, description: 'W3C traceparent (version 00)' }),
    tracestate: Type.Optional(Type.String({ maxLength: MAX_TRACESTATE_LENGTH, description: 'W3C tracestate, as the client sent it' })),
  },
  { additionalProperties: false },
);

/** Version 1 of the self-contained request envelope. */
export const EnvelopeSchema = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    id: Ulid('Request id (ULID, time-sortable)'),
    traceId: Type.String({ pattern: TRACE_ID_PATTERN, description: 'W3C trace-context trace-id' }),
    trace: Type.Optional(TraceContextSchema),
    batchId: Ulid('Id of the batch the request came in (ULID)'),
    acceptedAt: Timestamp('When the proxy accepted the request'),
    notBefore: Type.Optional(Timestamp('First attempt not before this time')),
    deadlineAt: Type.Optional(Timestamp('No attempt starts after this time')),
    request: EnvelopeRequestSchema,
    policy: RetryPolicySchema,
    callback: Type.Optional(EnvelopeCallbackSchema),
    metadata: Type.Optional(MetadataSchema),
    attempts: Type.Array(AttemptSchema),
    endReason: Type.Optional(EndReasonSchema),
    flowControl: Type.Optional(FlowControlSchema),
    flowWait: Type.Optional(FlowWaitSchema),
  },
  { additionalProperties: false, title: 'ParcEnvelopeV1' },
);

export type Envelope = Static<typeof EnvelopeSchema>;
export type EnvelopeRequest = Static<typeof EnvelopeRequestSchema>;
export type EnvelopeCallback = Static<typeof EnvelopeCallbackSchema>;
export type Attempt = Static<typeof AttemptSchema>;
export type AttemptError = NonNullable<Attempt['error']>;
export type FlowControl = Static<typeof FlowControlSchema>;
export type FlowWait = Static<typeof FlowWaitSchema>;
export type TraceContext = Static<typeof TraceContextSchema>;
export type ResponseHeaders = Static<typeof ResponseHeadersSchema>;

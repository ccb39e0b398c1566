import { JITTER_MODES, RETRY_POLICY_BOUNDS, type JitterMode } from '@parc/backoff';
import { FlowControlSchema, MetadataSchema, RequestHeadersSchema, httpMethodSchema } from '@parc/envelope';
import { Type, type Static } from '@sinclair/typebox';

/**
 * What a user submits for one request (the API's names; `toEnvelopeInput` maps them onto the
 * envelope). These TypeBox schemas both validate requests and become the OpenAPI document.
 */

const range = ({ min, max }: { min: number; max: number }) => ({ minimum: min, maximum: max });

/** The user's retry settings; each field overrides the deployment's default policy. */
export const RetrySpecSchema = Type.Object(
  {
    maxAttempts: Type.Optional(Type.Integer({ ...range(RETRY_POLICY_BOUNDS.maxAttempts), description: 'Attempts in total, the first included' })),
    initialDelayMs: Type.Optional(Type.Integer({ ...range(RETRY_POLICY_BOUNDS.initialDelayMs), description: 'Backoff bound before the first retry' })),
    maxDelayMs: Type.Optional(Type.Integer({ ...range(RETRY_POLICY_BOUNDS.maxDelayMs), description: 'Cap on the backoff bound' })),
    multiplier: Type.Optional(Type.Number({ ...range(RETRY_POLICY_BOUNDS.multiplier), description: 'Growth of the bound per retry' })),
    jitter: Type.Optional(
      Type.Unsafe<JitterMode>({ type: 'string', enum: [...JITTER_MODES], description: 'How the delay is randomised below its bound' }),
    ),
    retryOn: Type.Optional(
      Type.Array(Type.Integer(range(RETRY_POLICY_BOUNDS.retryStatus)), {
        uniqueItems: true,
        description: 'HTTP statuses worth another attempt (default 408, 425, 429, 5xx)',
      }),
    ),
  },
  { additionalProperties: false, description: 'Retry policy overrides' },
);

/** Where a final result is POSTed (signed, Standard Webhooks). */
export const CallbackSpecSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'Absolute http(s) URL receiving the signed final result' }),
    headers: Type.Optional(RequestHeadersSchema),
  },
  { additionalProperties: false },
);

/** Every RequestSpec field but `url`: what `defaults` may set for a whole batch. */
const specFields = {
  method: Type.Optional(
    httpMethodSchema({ default: 'GET', description: 'HTTP method, upper case (default GET); TRACE, CONNECT and others are refused' }),
  ),
  headers: Type.Optional(RequestHeadersSchema),
  body: Type.Optional(Type.String({ description: 'Request body as UTF-8 text (not together with bodyBase64)' })),
  bodyBase64: Type.Optional(
    Type.String({ contentEncoding: 'base64', description: 'Request body bytes, canonical base64 (not together with body)' }),
  ),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Time allowed for one attempt' })),
  retry: Type.Optional(RetrySpecSchema),
  deadlineMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Give up this long after acceptance: no attempt starts later' })),
  delayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Do not attempt before this long after acceptance' })),
  callback: Type.Optional(CallbackSpecSchema),
  metadata: Type.Optional({ ...MetadataSchema, description: 'Free-form JSON object, echoed back with the result' }),
  flowControl: Type.Optional({
    ...FlowControlSchema,
    description:
      "Limits shared by every request of the key (default key: the URL's origin), across all callers and Parcs; a request waiting for capacity uses no attempt and keeps its deadline. Requests of one key in one submission must agree on the limits.",
  }),
  propagateTrace: Type.Optional(
    Type.Boolean({
      description:
        "Send the request's W3C traceparent (and tracestate) to the target (default true). A traceparent header of your own is sent as given either way.",
    }),
  ),
};

/** One HTTP request for Parc to perform. */
export const RequestSpecSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'Absolute http(s) URL of the target' }),
    ...specFields,
  },
  {
    $id: 'RequestSpec',
    additionalProperties: false,
    description: 'One HTTP request to perform. Unknown fields are rejected; nothing is coerced.',
    examples: [
      {
        method: 'POST',
        url: 'https://api.example.com/hooks/order-created',
        headers: { 'content-type': 'application/json', authorization: 'Bearer target-token' },
        body: '{"orderId":42}',
        retry: { maxAttempts: 3, retryOn: [429, 503] },
        metadata: { orderId: 42 },
      },
    ],
  },
);

/** Fields applied to every item of a JSON batch that does not set them itself. */
export const RequestDefaultsSchema = Type.Object(specFields, {
  $id: 'RequestDefaults',
  additionalProperties: false,
  description:
    'RequestSpec fields (all but url) for every item that does not set them. headers, retry, metadata and flowControl merge key by key (the item wins); other fields are replaced.',
});

export type RetrySpec = Static<typeof RetrySpecSchema>;
export type CallbackSpec = Static<typeof CallbackSpecSchema>;
export type RequestSpec = Static<typeof RequestSpecSchema>;
export type RequestDefaults = Static<typeof RequestDefaultsSchema>;

import { FinalResultSchema, MetadataSchema, ULID_PATTERN } from '@parc/envelope';
import { ERROR_CATALOG } from '@parc/errors';
import { REQUEST_STATES } from '@parc/store';
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { DEFAULT_API_LIMITS } from '../options';
import { CallbackSpecSchema, RequestDefaultsSchema, RequestSpecSchema } from './request-spec';
import { DestinationSchema } from './destinations';

/** Request and response bodies of every route, besides the RequestSpec itself. */

const Ulid = (description: string) => Type.String({ pattern: ULID_PATTERN, description });

/** A `$ref` to a shared schema, typed as the schema it points to. */
export function refTo<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new Error('refTo needs a schema with an $id');
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id));
}

/** The error itself: a stable code, a message, and the fields concerned. */
export const ApiErrorSchema = Type.Object(
  {
    code: Type.Unsafe<string>({ type: 'string', enum: Object.keys(ERROR_CATALOG), description: 'Stable code (docs/errors.md)' }),
    message: Type.String(),
    details: Type.Optional(
      Type.Array(
        Type.Object(
          {
            index: Type.Optional(Type.Integer({ minimum: 0, description: 'Index of the batch item concerned' })),
            path: Type.String({ description: 'Field concerned, e.g. requests[3].retry.maxAttempts' }),
            message: Type.String(),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { $id: 'ApiError', additionalProperties: false },
);

/** The house error body of every 4xx and 5xx answer. */
export const ErrorBodySchema = Type.Object(
  {
    error: refTo(ApiErrorSchema),
    accepted: Type.Optional(
      Type.Object(
        { batchId: Type.String(), ids: Type.Array(Type.String()) },
        { additionalProperties: false, description: 'NDJSON only: what was accepted before the stream failed' },
      ),
    ),
  },
  {
    $id: 'ErrorBody',
    additionalProperties: false,
    examples: [
      {
        error: {
          code: 'REQUEST_INVALID',
          message: '1 of 2 requests is invalid: requests[1].url is required',
          details: [{ index: 1, path: 'requests[1].url', message: 'is required' }],
        },
      },
    ],
  },
);

/** The JSON batch submission, for a deployment's `maxBatchRequests`. */
export const batchSubmissionSchema = (maxBatchRequests: number) =>
  Type.Object(
    {
      requests: Type.Array(refTo(RequestSpecSchema), {
        minItems: 1,
        maxItems: maxBatchRequests,
        description: `The requests, at most ${maxBatchRequests} (limit maxBatchRequests)`,
      }),
      callback: Type.Optional({ ...CallbackSpecSchema, description: 'Callback for every item without its own' }),
      batchCallback: Type.Optional({
        ...CallbackSpecSchema,
        description: 'Where one signed batch.completed event goes once every request of the batch has its final result (webhook-id `<batchId>.completed`)',
      }),
      defaults: Type.Optional(refTo(RequestDefaultsSchema)),
      metadata: Type.Optional({ ...MetadataSchema, description: 'Merged into every item’s metadata (the item wins)' }),
    },
    {
      additionalProperties: false,
      examples: [
        {
          requests: [{ url: 'https://api.example.com/a' }, { method: 'POST', url: 'https://api.example.com/b', body: 'hi' }],
          callback: { url: 'https://me.example.com/parc-results' },
          defaults: { timeoutMs: 10_000, retry: { maxAttempts: 3 } },
        },
      ],
    },
  );

/** The JSON batch submission with the default limit (for the exported types and docs). */
export const BatchSubmissionSchema = batchSubmissionSchema(DEFAULT_API_LIMITS.maxBatchRequests);

/** The 202 answer to a submission. */
export const BatchAcceptedSchema = Type.Object(
  {
    batchId: Ulid('Id of the batch'),
    ids: Type.Array(Type.String(), { description: 'Request ids, in input order (NDJSON: of the accepted lines)' }),
    rejected: Type.Optional(
      Type.Array(
        Type.Object({ line: Type.Integer({ minimum: 1 }), error: refTo(ApiErrorSchema) }, { additionalProperties: false }),
        { description: 'NDJSON only: lines not accepted, with why' },
      ),
    ),
  },
  { additionalProperties: false, examples: [{ batchId: '01JZ6X4Q2C6V7B8N9M0P1Q2R3S', ids: ['01JZ6X4Q2C6V7B8N9M0P1Q2R3T'] }] },
);

/** The final result, as stored by the pipeline (shared so OpenAPI shows it once). */
export const SharedFinalResultSchema = { ...FinalResultSchema, $id: 'FinalResult' };

const states = Type.Unsafe<string>({ type: 'string', enum: [...REQUEST_STATES] });

/** `GET /v1/requests/:id`. */
export const RequestStatusSchema = Type.Object(
  {
    id: Type.String(),
    batchId: Type.String(),
    state: states,
    attempts: Type.Integer({ minimum: 0, description: 'Attempts completed so far' }),
    cancelRequested: Type.Boolean(),
    result: Type.Optional(refTo(SharedFinalResultSchema)),
  },
  { additionalProperties: false },
);

/** `GET /v1/batches/:id`. */
export const BatchStatusSchema = Type.Object(
  {
    batchId: Type.String(),
    total: Type.Integer({ minimum: 0 }),
    counts: Type.Object(Object.fromEntries(REQUEST_STATES.map((state) => [state, Type.Integer({ minimum: 0 })])), {
      additionalProperties: false,
    }),
    cancelRequested: Type.Boolean(),
    complete: Type.Boolean({ description: 'Its intake is over and every request has its final result' }),
    reasons: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'Failed requests by reason' }),
    firstFinishedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When its first request finished' })),
    lastFinishedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When its last request so far finished' })),
  },
  { additionalProperties: false },
);


const deadLetterFields = {
  id: Type.String({ description: 'Request id (the callback’s webhook-id)' }),
  deadAt: Type.String({ format: 'date-time' }),
  reason: Type.String({ description: 'Why the last delivery attempt failed' }),
};

/** A dead callback in a listing. */
export const DeadLetterSummarySchema = Type.Object(
  { ...deadLetterFields, url: Type.Optional(Type.String({ description: 'The callback URL' })) },
  { additionalProperties: false },
);

/** `GET /v1/callbacks/dead`. */
export const DeadLetterPageSchema = Type.Object(
  {
    items: Type.Array(DeadLetterSummarySchema),
    next: Type.Optional(Type.String({ description: 'Pass as `after` for the next page' })),
  },
  { additionalProperties: false },
);

/** `GET /v1/callbacks/dead/:id`: the stored callback job as JSON. */
export const DeadLetterSchema = Type.Object(
  { ...deadLetterFields, job: Type.Unknown({ description: 'The callback job: { id, url, headers?, body, attempt, traceId? }' }) },
  { additionalProperties: false },
);

/** Body of the bulk replay. */
export const ReplayRequestSchema = Type.Object(
  { ids: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 1000, uniqueItems: true }) },
  { additionalProperties: false },
);

/** Answer of both replay routes. */
export const ReplayResultSchema = Type.Object(
  {
    replayed: Type.Array(Type.String(), { description: 'Ids moved back to the callback queue' }),
    notFound: Type.Array(Type.String(), { description: 'Ids that were not dead letters' }),
  },
  { additionalProperties: false },
);

/** `:id` of request and batch routes. */
export const UlidParamsSchema = Type.Object({ id: Ulid('A request or batch id (ULID)') }, { additionalProperties: false });

/** `GET /v1/batches/:id/results`'s query. */
export const BatchResultsQuerySchema = Type.Object(
  {
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'A request id: resume after its result (the id of the last line received)' })),
    wait: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: keep the stream open until the batch is complete' })),
  },
  { additionalProperties: false },
);

/** `:id` of dead-letter routes. */
export const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

/** Query strings arrive as text: numbers are checked by pattern (nothing is coerced). */
export const DeadLetterQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]\\d{0,2}|1000)$', description: 'Page size, 1–1000 (default 100)' })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: '`next` of the previous page' })),
  },
  { additionalProperties: false },
);

/** Headers of `POST /v1/requests` (lower-case: Node lower-cases incoming names). */
export const IntakeHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$', description: 'Makes a retried submission safe (visible ASCII, ≤ 255)' }),
  ),
  'parc-callback-url': Type.Optional(Type.String({ minLength: 1, description: 'NDJSON only: callback URL for every line without its own' })),
  'parc-callback-headers': Type.Optional(
    Type.String({ minLength: 2, description: 'NDJSON only: JSON object of headers sent with that callback' }),
  ),
  'parc-batch-callback-url': Type.Optional(
    Type.String({ minLength: 1, description: 'Where one signed batch.completed event goes once every request has its final result (JSON: or batchCallback)' }),
  ),
});

/** Every schema routes refer to by `$id`: added once to Fastify (for OpenAPI) and to Ajv. */
export const SHARED_SCHEMAS: readonly TSchema[] = [
  RequestSpecSchema,
  RequestDefaultsSchema,
  ApiErrorSchema,
  ErrorBodySchema,
  SharedFinalResultSchema,
  DestinationSchema,
];

export type ApiError = Static<typeof ApiErrorSchema>;
export type BatchSubmission = Static<typeof BatchSubmissionSchema>;
export type BatchAccepted = Static<typeof BatchAcceptedSchema>;
export type ReplayRequest = Static<typeof ReplayRequestSchema>;
export type DeadLetterQuery = Static<typeof DeadLetterQuerySchema>;
export type BatchResultsQuery = Static<typeof BatchResultsQuerySchema>;
export type IntakeHeaders = Static<typeof IntakeHeadersSchema>;

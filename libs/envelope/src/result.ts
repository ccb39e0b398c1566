import { Type, type Static } from '@sinclair/typebox';
import type { FinalReason } from '@parc/backoff';
import { AttemptSchema, EnvelopeRequestSchema, MetadataSchema, type Envelope } from './schema';

const FINAL_REASONS: readonly FinalReason[] = [
  'non_retryable_status',
  'non_retryable_error',
  'retries_exhausted',
  'deadline_exceeded',
  'destination_blocked',
  'cancelled',
];

/**
 * The final result of a request: the callback body and what `GET /v1/requests/:id` returns once
 * the request has finished. It carries the original request, so the client never has to keep the
 * association between request and response.
 */
export const FinalResultSchema = Type.Object(
  {
    id: Type.String({ description: 'Request id (also the webhook-id of the callback)' }),
    batchId: Type.String(),
    traceId: Type.String({ description: 'W3C trace-context trace-id, as in the logs' }),
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')], {
      description: 'succeeded: the final attempt got a 2xx',
    }),
    reason: Type.Optional(
      Type.Unsafe<FinalReason>({ type: 'string', enum: [...FINAL_REASONS], description: 'Why a failed request failed' }),
    ),
    request: EnvelopeRequestSchema,
    attempts: Type.Array(AttemptSchema),
    metadata: Type.Optional(MetadataSchema),
    acceptedAt: Type.String({ format: 'date-time' }),
    completedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, title: 'FinalResult' },
);

export type FinalResult = Static<typeof FinalResultSchema>;

/** How a request ended. */
export type FinalOutcome = { readonly status: 'succeeded' } | { readonly status: 'failed'; readonly reason: FinalReason };

/** The final result of `envelope`, completed at `completedAtMs`. */
export function finalResult(envelope: Envelope, outcome: FinalOutcome, completedAtMs: number): FinalResult {
  return {
    id: envelope.id,
    batchId: envelope.batchId,
    traceId: envelope.traceId,
    status: outcome.status,
    ...(outcome.status === 'failed' ? { reason: outcome.reason } : {}),
    request: envelope.request,
    attempts: envelope.attempts,
    ...(envelope.metadata !== undefined ? { metadata: envelope.metadata } : {}),
    acceptedAt: envelope.acceptedAt,
    completedAt: new Date(completedAtMs).toISOString(),
  };
}

/**
 * The ingress of systems A and B: `POST /v1/requests` per bench/src/contract.ts, `/health/live`.
 * Each accepted request becomes a Parc envelope (@parc/envelope `createEnvelope`: ULID ids, trace
 * id, timestamps, the retry policy merged and validated), so the work downstream and the
 * callbacks are exactly Parc's. The 202 is sent only once `enqueue` resolved.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { RetryPolicy } from '@parc/backoff';
import { createEnvelope, newUlid, type Envelope } from '@parc/envelope';
import { isParcError, type FieldIssue } from '@parc/errors';
import { BENCH_API_KEY } from '../contract';
import { warn } from './child';

/** Requests per POST, as Parc's default maxBatchRequests. */
export const MAX_BATCH_REQUESTS = 1_000;
/** JSON body bytes per POST, as Parc's default maxJsonBodyBytes. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Submission {
  readonly requests: readonly { readonly url: string; readonly method?: 'GET'; readonly retry: Partial<RetryPolicy> }[];
  readonly callback: { readonly url: string };
}

/** Shape only; createEnvelope checks URLs and policies in depth (as Parc's intake does). */
const submissionSchema = {
  type: 'object',
  required: ['requests', 'callback'],
  additionalProperties: false,
  properties: {
    requests: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH_REQUESTS,
      items: {
        type: 'object',
        required: ['url', 'retry'],
        additionalProperties: false,
        properties: { url: { type: 'string', minLength: 1 }, method: { enum: ['GET'] }, retry: { type: 'object' } },
      },
    },
    callback: {
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      properties: { url: { type: 'string', minLength: 1 } },
    },
  },
} as const;

/** Hands accepted envelopes to the system's queue; resolves once they are accepted there. */
export type Enqueue = (envelopes: readonly Envelope[]) => Promise<void>;

export interface IngressOptions {
  readonly enqueue: Enqueue;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port, read back from `port`. */
  readonly port?: number;
}

export interface Ingress {
  readonly port: number;
  readonly url: string;
  /** Stops accepting and waits for requests in progress. */
  close(): Promise<void>;
}

type Conversion = { readonly ok: true; readonly envelopes: Envelope[] } | { readonly ok: false; readonly issues: FieldIssue[] };

/** The submission as envelopes sharing one batch id and acceptance time, or every problem found. */
function toEnvelopes(submission: Submission, nowMs: number): Conversion {
  const batchId = newUlid(nowMs);
  const envelopes: Envelope[] = [];
  const issues: FieldIssue[] = [];
  submission.requests.forEach((spec, index) => {
    const input = { request: { method: spec.method ?? 'GET', url: spec.url }, policy: spec.retry, callback: submission.callback, batchId };
    try {
      envelopes.push(createEnvelope(input, { nowMs }));
    } catch (error) {
      if (!isParcError(error, 'ENVELOPE_INVALID')) throw error;
      issues.push(...error.details.map(({ path, message }) => ({ path: `requests[${index}].${path}`, message })));
    }
  });
  return issues.length === 0 ? { ok: true, envelopes } : { ok: false, issues };
}

/** The bench key only: a constant-time comparison would protect nothing here. */
function authorised(request: FastifyRequest): boolean {
  return request.headers.authorization === `Bearer ${BENCH_API_KEY}`;
}

async function accept(enqueue: Enqueue, request: FastifyRequest<{ Body: Submission }>, reply: FastifyReply): Promise<unknown> {
  const conversion = toEnvelopes(request.body, Date.now());
  if (!conversion.ok) return reply.code(400).send({ error: 'invalid_request', issues: conversion.issues });
  try {
    await enqueue(conversion.envelopes);
  } catch (error) {
    warn('enqueue failed', { requests: conversion.envelopes.length, error: error instanceof Error ? error.message : String(error) });
    return reply.code(503).send({ error: 'enqueue_failed' });
  }
  const first = conversion.envelopes[0] as Envelope;
  return reply.code(202).send({ batchId: first.batchId, ids: conversion.envelopes.map((envelope) => envelope.id) });
}

function buildApp(enqueue: Enqueue): FastifyInstance {
  const app = Fastify({
    logger: { level: 'warn' },
    disableRequestLogging: true,
    bodyLimit: MAX_BODY_BYTES,
    // Fastify's defaults coerce types and drop unknown properties silently (see PITFALLS.md).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.post<{ Body: Submission }>('/v1/requests', {
    // Authentication first: an unauthenticated caller learns nothing from validation errors.
    onRequest: async (request, reply) => {
      if (!authorised(request)) await reply.code(401).send({ error: 'unauthorized' });
    },
    schema: { body: submissionSchema },
    handler: (request, reply) => accept(enqueue, request, reply),
  });
  return app;
}

/** Starts the ingress; `enqueue` decides what "accepted" means (Redis for A, memory for B). */
export async function startIngress(options: IngressOptions): Promise<Ingress> {
  const app = buildApp(options.enqueue);
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const { address, port } = app.server.address() as AddressInfo;
  return { port, url: `http://${address}:${port}`, close: () => app.close() };
}

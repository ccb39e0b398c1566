import { ParcError } from '@parc/errors';
import { finalResult, type Envelope, type EnvelopeCallback, type FinalOutcome, type TraceContext } from '@parc/envelope';
import type { FinalReason } from '@parc/backoff';

/**
 * The first line of a `responses` message: what the responder needs to record the outcome and
 * enqueue the callback, without parsing the (much larger) result that follows.
 */
export interface ResponseHeader {
  /** Format version of this message. */
  readonly v: 1;
  readonly id: string;
  readonly batchId: string;
  readonly traceId: string;
  /** The envelope's trace context: the responder's spans and the callback's traceparent hang from it. */
  readonly trace?: TraceContext;
  readonly status: 'succeeded' | 'failed';
  readonly reason?: FinalReason;
  /** Attempts made in total. */
  readonly attempts: number;
  readonly callback?: EnvelopeCallback;
}

/** A decoded `responses` message: the header and the final result's JSON text, untouched. */
export interface ResponseMessage {
  readonly header: ResponseHeader;
  readonly result: string;
}

/**
 * Encodes a final outcome as a `responses` message: two lines, the JSON {@link ResponseHeader}
 * and the JSON `FinalResult`. The result is serialised once, here, and passed as text from then
 * on: stored for polling and POSTed as the callback body byte for byte, never re-encoded.
 * (JSON.stringify never emits a raw newline, so the first newline separates the two.)
 */
export function encodeResponse(envelope: Envelope, outcome: FinalOutcome, completedAtMs: number): string {
  const header: ResponseHeader = {
    v: 1,
    id: envelope.id,
    batchId: envelope.batchId,
    traceId: envelope.traceId,
    ...(envelope.trace !== undefined ? { trace: envelope.trace } : {}),
    status: outcome.status,
    ...(outcome.status === 'failed' ? { reason: outcome.reason } : {}),
    attempts: envelope.attempts.length,
    ...(envelope.callback !== undefined ? { callback: envelope.callback } : {}),
  };
  return `${JSON.stringify(header)}\n${JSON.stringify(finalResult(envelope, outcome, completedAtMs))}`;
}

/**
 * Splits a `responses` message into its header (parsed) and result (text).
 * @throws ParcError ENVELOPE_MALFORMED when the payload is not such a message.
 */
export function decodeResponse(payload: string): ResponseMessage {
  const newline = payload.indexOf('\n');
  let header: Partial<ResponseHeader> | undefined;
  try {
    header = newline > 0 ? (JSON.parse(payload.slice(0, newline)) as Partial<ResponseHeader>) : undefined;
  } catch (cause) {
    throw new ParcError('ENVELOPE_MALFORMED', 'responses message header is not JSON', { cause });
  }
  if (header?.v !== 1 || typeof header.id !== 'string' || typeof header.batchId !== 'string') {
    throw new ParcError('ENVELOPE_MALFORMED', 'responses message must be a v1 header line followed by the final result');
  }
  return { header: header as ResponseHeader, result: payload.slice(newline + 1) };
}

/**
 * A callback job in the callbacks queue (JSON). `body` is the exact text signed and POSTed;
 * `attempt` counts the delivery attempts already made (0 for a new job; the proxy's replay of a
 * dead letter resets it to 0).
 */
export interface CallbackJob {
  /** The request id: the `webhook-id`, the same on every redelivery. */
  readonly id: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
  readonly attempt: number;
  /** For log lines; optional so that jobs written without it still work. */
  readonly traceId?: string;
  /** The request's trace context: the parent of the delivery's span, and the callback's traceparent. */
  readonly trace?: TraceContext;
}

/** The callback job for a final result, as the responder enqueues it. */
export function callbackJobFor(header: ResponseHeader, callback: EnvelopeCallback, result: string): CallbackJob {
  return {
    id: header.id,
    url: callback.url,
    ...(callback.headers !== undefined ? { headers: callback.headers } : {}),
    body: result,
    attempt: 0,
    traceId: header.traceId,
    ...(header.trace !== undefined ? { trace: header.trace } : {}),
  };
}

/**
 * Parses a callback job.
 * @throws ParcError ENVELOPE_MALFORMED when the text is not a callback job.
 */
export function parseCallbackJob(text: string): CallbackJob {
  let job: Partial<CallbackJob> | undefined;
  try {
    job = JSON.parse(text) as Partial<CallbackJob>;
  } catch (cause) {
    throw new ParcError('ENVELOPE_MALFORMED', 'callback job is not JSON', { cause });
  }
  const valid =
    typeof job === 'object' && job !== null &&
    typeof job.id === 'string' && typeof job.url === 'string' && typeof job.body === 'string' &&
    Number.isInteger(job.attempt) && (job.attempt as number) >= 0;
  if (!valid) throw new ParcError('ENVELOPE_MALFORMED', 'callback job must have id, url, body and a non-negative integer attempt');
  return job as CallbackJob;
}

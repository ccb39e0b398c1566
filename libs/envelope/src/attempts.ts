import type { AttemptOutcome } from '@parc/backoff';
import type { Attempt, Envelope } from './schema';

/** An attempt as a caller stage records it; its number is derived from the envelope. */
export type AttemptRecord = Omit<Attempt, 'attempt'>;

/**
 * A copy of `envelope` with `record` appended as the next attempt (numbered attempts.length + 1).
 * The input is left untouched: a stage that fails after appending still holds the original.
 */
export function appendAttempt(envelope: Envelope, record: AttemptRecord): Envelope {
  const attempt: Attempt = { attempt: envelope.attempts.length + 1, ...record };
  return { ...envelope, attempts: [...envelope.attempts, attempt] };
}

/** The request body bytes, or undefined when the request has no body. */
export function requestBodyBytes(envelope: Envelope): Buffer | undefined {
  const { bodyBase64 } = envelope.request;
  return bodyBase64 === undefined ? undefined : Buffer.from(bodyBase64, 'base64');
}

/** What the retry policy needs to know about an attempt (input of `decideNext`). */
export function outcomeOf(attempt: Attempt): AttemptOutcome {
  return { status: attempt.status, errorCode: attempt.error?.code, retryAfterMs: attempt.retryAfterMs };
}

/** `deadlineAt` as epoch ms (input of `decideNext`), or undefined without a deadline. */
export function deadlineAtMs(envelope: Envelope): number | undefined {
  return envelope.deadlineAt === undefined ? undefined : Date.parse(envelope.deadlineAt);
}

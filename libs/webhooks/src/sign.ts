import { createHmac } from 'node:crypto';
import { keyOf, type WebhookSecret } from './secret';

/** The three headers of a signed Standard Webhooks request (lower-case names). */
export interface WebhookHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/** The payload bytes: signed and sent exactly as given. */
export type WebhookBody = string | Uint8Array;

export interface SignWebhookInput {
  /** The message id; Parc uses the request id, the same on every redelivery. */
  readonly id: string;
  /** The signing time, epoch ms (sent as whole unix seconds). */
  readonly nowMs: number;
  readonly body: WebhookBody;
  /** One signature per secret (several during a rotation); at least one. */
  readonly secrets: readonly WebhookSecret[];
}

/** Printable ASCII without spaces: `webhook-id` becomes a header and part of the signed content. */
const MESSAGE_ID = /^[\x21-\x7e]{1,256}$/;

/** The `v1` signature of one message with one key: base64 HMAC-SHA256 of `id.timestamp.body`. */
export function computeSignature(secret: WebhookSecret, id: string, timestamp: string, body: WebhookBody): string {
  return createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

/**
 * Signs a webhook per the Standard Webhooks specification and returns the headers to send with
 * the body: `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a
 * space-separated list of `v1,<base64>` — one per secret, so receivers holding either the old or
 * the new secret verify during a rotation.
 * @throws TypeError when there is no secret or the id is not printable ASCII (1–256 characters).
 */
export function signWebhook(input: SignWebhookInput): WebhookHeaders {
  const { id, nowMs, body, secrets } = input;
  if (secrets.length === 0) throw new TypeError('signWebhook needs at least one secret');
  if (!MESSAGE_ID.test(id)) throw new TypeError('webhook id must be 1–256 printable ASCII characters without spaces');
  if (!Number.isFinite(nowMs)) throw new TypeError(`nowMs must be a finite number, got ${nowMs}`);
  const timestamp = String(Math.floor(nowMs / 1000));
  const signatures = secrets.map((secret) => `v1,${computeSignature(secret, id, timestamp, body)}`);
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

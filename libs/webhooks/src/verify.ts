import { timingSafeEqual } from 'node:crypto';
import { computeSignature, type WebhookBody } from './sign';
import type { WebhookSecret } from './secret';

/** Default tolerance: how far the timestamp may be from the receiver's clock, either way. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** Incoming headers as node:http gives them (any case; repeated headers as arrays). */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookInput {
  readonly headers: IncomingHeaders;
  /** The raw body bytes as received (not re-serialised JSON). */
  readonly body: WebhookBody;
  /** Any of these may have signed the message (rotation). */
  readonly secrets: readonly WebhookSecret[];
  /** The receiver's clock, epoch ms (default Date.now()). */
  readonly nowMs?: number;
  /** Default {@link DEFAULT_WEBHOOK_TOLERANCE_SECONDS}. */
  readonly toleranceSeconds?: number;
}

/** Why a webhook did not verify. */
export type WebhookRejection =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature';

export type WebhookVerification =
  | { readonly ok: true; readonly id: string; readonly timestampSeconds: number }
  | { readonly ok: false; readonly reason: WebhookRejection };

function header(headers: IncomingHeaders, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return typeof value === 'string' ? value : value.join(' ');
  }
  return undefined;
}

/** The decoded `v1` signatures of a `webhook-signature` header; other versions are skipped. */
function v1Signatures(value: string): Buffer[] {
  return value
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
}

function matchesAny(expected: Buffer, received: readonly Buffer[]): boolean {
  let matched = false;
  // Every candidate is compared (no early exit), each in constant time for its length.
  for (const candidate of received) {
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  return matched;
}

/**
 * Verifies a Standard Webhooks request: the three headers are present, the timestamp is within
 * `toleranceSeconds` of `nowMs` (replay protection), and some `v1` signature matches the
 * HMAC of `id.timestamp.body` under some secret (constant-time comparison).
 */
export function verifyWebhook(input: VerifyWebhookInput): WebhookVerification {
  const id = header(input.headers, 'webhook-id');
  const timestamp = header(input.headers, 'webhook-timestamp');
  const signature = header(input.headers, 'webhook-signature');
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'invalid_timestamp' };

  const timestampSeconds = Number(timestamp);
  const nowSeconds = Math.floor((input.nowMs ?? Date.now()) / 1000);
  const tolerance = input.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (timestampSeconds < nowSeconds - tolerance) return { ok: false, reason: 'timestamp_too_old' };
  if (timestampSeconds > nowSeconds + tolerance) return { ok: false, reason: 'timestamp_too_new' };

  const received = v1Signatures(signature);
  let matched = false;
  for (const secret of input.secrets) {
    const expected = Buffer.from(computeSignature(secret, id, timestamp, input.body), 'base64');
    if (matchesAny(expected, received)) matched = true;
  }
  return matched ? { ok: true, id, timestampSeconds } : { ok: false, reason: 'no_matching_signature' };
}

import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { ParcError } from '@parc/errors';

/** The prefix Standard Webhooks puts before the base64 key, so secrets are recognisable. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Key sizes the Standard Webhooks specification recommends (decoded bytes). */
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/**
 * The HMAC key of each secret, as a KeyObject made once: Node 24 turns a Buffer key into a
 * KeyObject on every createHmac call (12 µs against 2.8 µs per signature, measured; in the
 * responder's profile that was 13 % of its CPU).
 */
const keys = new WeakMap<WebhookSecret, KeyObject>();

const REDACTED = '[redacted webhook secret]';

/**
 * A parsed `whsec_…` signing secret. The key bytes are held outside the object, so logging,
 * `JSON.stringify` or `util.inspect` of a secret never shows them.
 */
export interface WebhookSecret {
  /** The secret in its `whsec_<base64>` text form, for configuration output (never log it). */
  reveal(): string;
  toJSON(): string;
}

function secretFromKey(key: Buffer): WebhookSecret {
  const secret: WebhookSecret = {
    reveal: () => WEBHOOK_SECRET_PREFIX + key.toString('base64'),
    toJSON: () => REDACTED,
    toString: () => REDACTED,
    [inspect.custom]: () => REDACTED,
  } as WebhookSecret;
  keys.set(secret, createSecretKey(Buffer.from(key)));
  return secret;
}

/** The HMAC key of `secret` (for the signing code in this lib). */
export function keyOf(secret: WebhookSecret): KeyObject {
  const key = keys.get(secret);
  if (key === undefined) throw new TypeError('not a WebhookSecret from parseWebhookSecret() or generateWebhookSecret()');
  return key;
}

function invalid(message: string): ParcError {
  // The message never quotes the secret: it may end up in a log line.
  return new ParcError('WEBHOOK_SECRET_INVALID', `webhook secret ${message}`);
}

/**
 * Parses a Standard Webhooks secret: `whsec_` followed by the base64 (standard alphabet, padded)
 * of a 24–64 byte key. Surrounding whitespace is ignored.
 * @throws ParcError WEBHOOK_SECRET_INVALID naming the problem (never the secret).
 */
export function parseWebhookSecret(text: string): WebhookSecret {
  const trimmed = text.trim();
  if (!trimmed.startsWith(WEBHOOK_SECRET_PREFIX)) {
    throw invalid(`must start with "${WEBHOOK_SECRET_PREFIX}" (the Standard Webhooks secret format)`);
  }
  const encoded = trimmed.slice(WEBHOOK_SECRET_PREFIX.length);
  if (encoded.length === 0 || !CANONICAL_BASE64.test(encoded)) {
    throw invalid(`must be "${WEBHOOK_SECRET_PREFIX}" followed by padded standard base64`);
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < WEBHOOK_SECRET_MIN_BYTES || key.length > WEBHOOK_SECRET_MAX_BYTES) {
    throw invalid(
      `must decode to ${WEBHOOK_SECRET_MIN_BYTES}–${WEBHOOK_SECRET_MAX_BYTES} bytes, got ${key.length}`,
    );
  }
  return secretFromKey(key);
}

/**
 * Parses a list of secrets separated by spaces or commas (the form an environment variable takes
 * during a rotation: new secret first, old one after).
 * @throws ParcError WEBHOOK_SECRET_INVALID for the first bad entry, or when there is none.
 */
export function parseWebhookSecrets(text: string): WebhookSecret[] {
  const parts = text.split(/[\s,]+/).filter((part) => part.length > 0);
  if (parts.length === 0) throw invalid('list is empty');
  return parts.map((part, index) => {
    try {
      return parseWebhookSecret(part);
    } catch (cause) {
      throw new ParcError('WEBHOOK_SECRET_INVALID', `webhook secret #${index + 1}: ${(cause as Error).message}`, { cause });
    }
  });
}

/** A new random secret (32 bytes by default), e.g. for the embedded mode or `parc secret`. */
export function generateWebhookSecret(bytes = 32, random: (size: number) => Buffer = randomBytes): WebhookSecret {
  if (!Number.isInteger(bytes) || bytes < WEBHOOK_SECRET_MIN_BYTES || bytes > WEBHOOK_SECRET_MAX_BYTES) {
    throw new RangeError(`bytes must be an integer from ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES}`);
  }
  return secretFromKey(random(bytes));
}

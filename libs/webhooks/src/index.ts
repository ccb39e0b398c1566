/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing and verification: how the
 * responder signs callbacks, and how tests and users verify them. Pure: node:crypto only, no I/O,
 * clocks passed in.
 */
export {
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_SECRET_MIN_BYTES,
  WEBHOOK_SECRET_MAX_BYTES,
  parseWebhookSecret,
  parseWebhookSecrets,
  generateWebhookSecret,
  type WebhookSecret,
} from './secret';
export { signWebhook, type SignWebhookInput, type WebhookBody, type WebhookHeaders } from './sign';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  verifyWebhook,
  type IncomingHeaders,
  type VerifyWebhookInput,
  type WebhookRejection,
  type WebhookVerification,
} from './verify';

import { ErrorBodySchema, refTo } from '../schemas/bodies';

/** What each error status means on this API, for the OpenAPI document. */
const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid request: `details` name each field (and batch item). Nothing was enqueued.',
  401: 'Missing or invalid API key (`Authorization: Bearer <key>`).',
  403: 'The API key may not use this route.',
  404: 'Unknown or expired id.',
  409: 'Conflict: the Idempotency-Key is in use by a submission still being accepted, or the request already finished.',
  413: 'A limit was exceeded; the message names it.',
  415: 'Unsupported Content-Type.',
  422: 'The Idempotency-Key was used with a different body.',
  503: 'Backlog full or storage unavailable; nothing was enqueued. Retry after `Retry-After` seconds.',
};

/** Response schemas for the given error statuses, each the house error body. */
export function errorResponses(...statuses: readonly number[]): Record<number, object> {
  return Object.fromEntries(statuses.map((status) => [status, { ...refTo(ErrorBodySchema), description: ERROR_DESCRIPTIONS[status] }]));
}

/** A success response schema with its description. */
export function described<T extends object>(schema: T, description: string): T & { description: string } {
  return { ...schema, description };
}

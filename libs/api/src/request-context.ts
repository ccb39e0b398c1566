import type { FastifyRequest } from 'fastify';

/**
 * Per-request facts established by hooks and parsers (which API key, the body's fingerprint),
 * kept beside the request rather than as decorations, so the lib adds no types to Fastify's.
 */
const apiKeys = new WeakMap<FastifyRequest, string>();
const fingerprints = new WeakMap<FastifyRequest, string>();

/** The name used for every request when authentication is disabled. */
export const ANONYMOUS = 'anonymous';

export function setApiKeyName(request: FastifyRequest, name: string): void {
  apiKeys.set(request, name);
}

/** The name of the API key that authenticated `request`. */
export function apiKeyName(request: FastifyRequest): string {
  return apiKeys.get(request) ?? ANONYMOUS;
}

export function setFingerprint(request: FastifyRequest, fingerprint: string): void {
  fingerprints.set(request, fingerprint);
}

/** SHA-256 of a JSON body, computed by the parser when an Idempotency-Key came with it. */
export function fingerprintOf(request: FastifyRequest): string | undefined {
  return fingerprints.get(request);
}

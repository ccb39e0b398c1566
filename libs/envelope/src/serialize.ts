import { ParcError } from '@parc/errors';
import { SUPPORTED_ENVELOPE_VERSIONS, type Envelope } from './schema';

/** The wire form of an envelope (JSON text) for Redis streams and Kafka messages. */
export function serializeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

/**
 * The TRUSTED parse used between stages: JSON.parse plus a version check, no validation.
 * Envelopes are validated once, at the proxy; re-validating at every hop would cost CPU and
 * could reject, mid-pipeline, work already accepted under older limits.
 * @throws ParcError ENVELOPE_MALFORMED when the text is not JSON, not an object, or has no `v`.
 * @throws ParcError ENVELOPE_VERSION_UNSUPPORTED when `v` is a version this build cannot read.
 */
export function parseEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ParcError('ENVELOPE_MALFORMED', `envelope is not valid JSON (${text.length} characters)`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new ParcError('ENVELOPE_MALFORMED', `envelope must be a JSON object, got ${kind}`);
  }
  const version = (value as { v?: unknown }).v;
  if (version === undefined) {
    throw new ParcError('ENVELOPE_MALFORMED', 'envelope has no version field "v"; it was not written by Parc');
  }
  if (typeof version !== 'number' || !SUPPORTED_ENVELOPE_VERSIONS.includes(version)) {
    throw new ParcError(
      'ENVELOPE_VERSION_UNSUPPORTED',
      `envelope version ${JSON.stringify(version)} is not supported; this build reads versions ${SUPPORTED_ENVELOPE_VERSIONS.join(', ')}`,
    );
  }
  return value as Envelope;
}

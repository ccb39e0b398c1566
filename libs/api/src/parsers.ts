import { isUtf8 } from 'node:buffer';
import { ParcError } from '@parc/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fingerprintHash } from './idempotency';
import type { ApiLimits } from './options';
import { setFingerprint } from './request-context';
import { NDJSON } from './validation';

/** The body of an NDJSON submission: the request stream itself, read line by line by the handler. */
export class NdjsonBody {
  constructor(readonly stream: AsyncIterable<Buffer | string>) {}
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/** Bodies are UTF-8: a declared other charset is refused rather than misread. */
function charsetError(request: FastifyRequest): ParcError | undefined {
  const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return undefined;
  return new ParcError('UNSUPPORTED_MEDIA_TYPE', `charset ${charset.slice(0, 40)} is not accepted: bodies are UTF-8`);
}

/** Says where JSON parsing failed (Fastify's parser only says that it did). */
function jsonError(error: Error, body: Buffer): Error {
  if ((error as { code?: string }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return error;
  try {
    JSON.parse(body.toString('utf8'));
    return new ParcError('BODY_MALFORMED', 'the body must not contain "__proto__" keys');
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new ParcError('BODY_MALFORMED', `the body is not valid JSON: ${reason.slice(0, 200)}`, { cause });
  }
}

/**
 * The only body types of the API scope: JSON (read up to `maxJsonBodyBytes`, refused when not
 * UTF-8, fingerprinted when an Idempotency-Key came with it) and NDJSON (handed over unread).
 * Everything else is answered 415. Fastify's own JSON parser still guards against `__proto__`.
 */
export function installBodyParsers(app: FastifyInstance, limits: ApiLimits): void {
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limits.maxJsonBodyBytes }, (request, body, done) => {
    const buffer = body as Buffer;
    const refused = charsetError(request);
    if (refused !== undefined) return done(refused, undefined);
    // Node would decode invalid bytes as U+FFFD without a word; the user must hear about them.
    if (!isUtf8(buffer)) return done(new ParcError('BODY_MALFORMED', 'the body is not valid UTF-8'), undefined);
    if (request.headers['idempotency-key'] !== undefined) {
      setFingerprint(request, fingerprintHash('json').update(buffer).digest('hex'));
    }
    parseJson(request, buffer as unknown as string, (error, value) => done(error ? jsonError(error, buffer) : null, value));
  });
  app.addContentTypeParser(NDJSON, (request, payload, done) => {
    const refused = charsetError(request);
    if (refused !== undefined) return done(refused, undefined);
    done(null, new NdjsonBody(payload));
  });
}

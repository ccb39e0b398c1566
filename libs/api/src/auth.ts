import { createHash, timingSafeEqual } from 'node:crypto';
import { ParcError } from '@parc/errors';
import type { ApiKeyInput } from './options';

/** Keys shorter than this are refused at startup: an API key must not be guessable. */
export const MIN_API_KEY_LENGTH = 16;

/** `name:secret`; a name is short and plain so that it can label metrics and log lines. */
const NAMED_KEY = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}):(.+)$/;
const BEARER = /^Bearer +(\S+) *$/i;

interface KeyEntry {
  readonly name: string;
  readonly digest: Buffer;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

function parseKey(input: ApiKeyInput, index: number): KeyEntry {
  const raw = typeof input === 'string' ? input : input.reveal();
  const named = NAMED_KEY.exec(raw);
  const name = named?.[1] ?? `key${index + 1}`;
  const secret = named?.[2] ?? raw;
  if (secret.length < MIN_API_KEY_LENGTH) {
    throw new ParcError('CONFIG_INVALID', `API key ${name} is shorter than ${MIN_API_KEY_LENGTH} characters`);
  }
  return { name, digest: sha256(secret) };
}

/**
 * The configured API keys. Keys are held as SHA-256 digests and every presented key is compared
 * with every configured one in constant time, so neither timing nor early exits reveal a key.
 */
export class ApiKeyRing {
  private readonly entries: readonly KeyEntry[];

  /** @throws ParcError CONFIG_INVALID for short keys or duplicate names. */
  constructor(keys: readonly ApiKeyInput[]) {
    this.entries = keys.map(parseKey);
    const names = this.entries.map((entry) => entry.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw new ParcError('CONFIG_INVALID', `API key name ${duplicate} is used twice`);
  }

  /** Names of the configured keys. */
  get names(): readonly string[] {
    return this.entries.map((entry) => entry.name);
  }

  /**
   * The name of the key in an `Authorization: Bearer <key>` header.
   * @throws ParcError UNAUTHORIZED when the header is missing, malformed or names no key.
   */
  authenticate(authorization: string | undefined): string {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (token === undefined) {
      throw new ParcError('UNAUTHORIZED', 'send an API key as Authorization: Bearer <key>');
    }
    const digest = sha256(token);
    let match: string | undefined;
    for (const entry of this.entries) {
      // No early exit: the time taken does not depend on which key (if any) matched.
      if (timingSafeEqual(digest, entry.digest)) match = entry.name;
    }
    if (match === undefined) throw new ParcError('UNAUTHORIZED', 'the API key is not valid');
    return match;
  }
}

/**
 * A check of `Authorization` headers for operator pages served outside this API (the dashboard):
 * any configured key when `operatorKeys` is undefined, else only those names. Throws ParcError
 * UNAUTHORIZED (no or unknown key) or FORBIDDEN (a key that is not an operator's), as the
 * dead-letter and destination routes do.
 * @throws ParcError CONFIG_INVALID at once for short or duplicate keys.
 */
export function operatorAuthorizer(keys: readonly ApiKeyInput[], operatorKeys?: readonly string[]): (authorization: string | undefined) => void {
  const ring = new ApiKeyRing(keys);
  return (authorization) => {
    const name = ring.authenticate(authorization);
    if (operatorKeys !== undefined && !operatorKeys.includes(name)) {
      throw new ParcError('FORBIDDEN', 'this API key may not open the dashboard; use an operator key (OPERATOR_KEYS)');
    }
  };
}

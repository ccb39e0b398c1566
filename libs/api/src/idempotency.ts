import { createHash, randomUUID, type Hash } from 'node:crypto';
import { ParcError } from '@parc/errors';
import type { IdempotencyClaim, IdempotencyStore } from '@parc/store';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';

/** Settings of {@link IdempotencyGate}. */
export interface IdempotencyGateOptions {
  readonly store: IdempotencyStore;
  /** How long a completed answer is kept. */
  readonly ttlMs: number;
  /** How long a claim stays "in progress" should its holder die. */
  readonly lockMs: number;
  readonly log: FastifyBaseLogger;
}

/** The fingerprint of a submission: SHA-256 over its kind, the headers that shape it, and the body bytes. */
export function fingerprintHash(kind: 'json' | 'ndjson', shaping: readonly (string | undefined)[] = []): Hash {
  return createHash('sha256').update(`${kind}\n${shaping.map((value) => value ?? '').join('\n')}\n`);
}

/** Sends a stored first answer again. */
export function sendReplay(reply: FastifyReply, response: string): FastifyReply {
  return reply.code(202).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(response);
}

/**
 * `Idempotency-Key` handling over the store port: keys are scoped per API key name, answers are
 * stored only for accepted submissions (a refused one frees its key, so a corrected body may reuse it).
 */
export class IdempotencyGate {
  constructor(private readonly options: IdempotencyGateOptions) {}

  /** The store key: the same Idempotency-Key under two API keys names two submissions. */
  scope(apiKey: string, idempotencyKey: string): string {
    return `${apiKey}:${idempotencyKey}`;
  }

  /**
   * Claims `key` for a body whose fingerprint is known.
   * @returns 'claimed', or the stored answer to replay.
   * @throws ParcError IDEMPOTENCY_KEY_MISMATCH or IDEMPOTENCY_KEY_IN_PROGRESS.
   */
  async claim(key: string, fingerprint: string): Promise<'claimed' | { readonly replay: string }> {
    return this.outcome(await this.options.store.claim(key, fingerprint, this.options.lockMs));
  }

  /** The completed answer for `key`, if any (streams look before they claim). */
  lookup(key: string): Promise<{ readonly fingerprint: string; readonly response: string } | undefined> {
    return this.options.store.lookup(key);
  }

  /**
   * Claims `key` for a stream whose fingerprint is known only at its end.
   * @returns 'claimed', or 'completed' when another submission completed it meanwhile.
   * @throws ParcError IDEMPOTENCY_KEY_IN_PROGRESS.
   */
  async claimStream(key: string): Promise<'claimed' | 'completed'> {
    const claim = await this.options.store.claim(key, `pending:${randomUUID()}`, this.options.lockMs);
    if (claim.kind === 'claimed') return 'claimed';
    if (claim.kind === 'in_progress') throw inProgress();
    return 'completed';
  }

  /** Compares a stream's fingerprint with a completed entry's. */
  judge(entry: { readonly fingerprint: string; readonly response: string }, fingerprint: string): { readonly replay: string } {
    if (entry.fingerprint !== fingerprint) throw mismatch();
    return { replay: entry.response };
  }

  /** Stores the answer. A failure is logged, not thrown: the requests are accepted already. */
  async complete(key: string, fingerprint: string, response: string): Promise<void> {
    try {
      await this.options.store.complete(key, fingerprint, response, this.options.ttlMs);
    } catch (error) {
      this.options.log.error({ err: error }, 'could not store the Idempotency-Key answer; a retry may be refused as in progress');
    }
  }

  /** Frees a key whose submission was refused. A failure is logged: the key then expires after lockMs. */
  async release(key: string): Promise<void> {
    try {
      await this.options.store.release(key);
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not release an Idempotency-Key; it expires after the lock time');
    }
  }

  private outcome(claim: IdempotencyClaim): 'claimed' | { readonly replay: string } {
    switch (claim.kind) {
      case 'claimed':
        return 'claimed';
      case 'replay':
        return { replay: claim.response };
      case 'mismatch':
        throw mismatch();
      case 'in_progress':
        throw inProgress();
    }
  }
}

const mismatch = (): ParcError =>
  new ParcError('IDEMPOTENCY_KEY_MISMATCH', 'this Idempotency-Key was used for a different body; use a new key for a new submission');

const inProgress = (): ParcError =>
  new ParcError('IDEMPOTENCY_KEY_IN_PROGRESS', 'a submission with this Idempotency-Key is still being accepted; retry shortly');

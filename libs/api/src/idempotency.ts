import { createHash, randomUUID, type Hash } from 'node:crypto';
import { ParcError } from '@parc/errors';
import type { AcceptOutcome, BatchGuard, CompletedEntry, IdempotencyStore, StreamGuard, StreamPosition, StreamProgress } from '@parc/store';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';

/** Settings of {@link IdempotencyGate}. */
export interface IdempotencyGateOptions {
  readonly store: IdempotencyStore;
  /** How long a completed answer (and a stream's progress) is kept. */
  readonly ttlMs: number;
  /** How long a stream's lock lives without renewal: how soon a key held by a dead process is free. */
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

/** 422: the key names another body. */
export const idempotencyMismatch = (): ParcError =>
  new ParcError('IDEMPOTENCY_KEY_MISMATCH', 'this Idempotency-Key was used for a different body; use a new key for a new submission');

const inProgress = (): ParcError =>
  new ParcError('IDEMPOTENCY_KEY_IN_PROGRESS', 'a submission with this Idempotency-Key is still being accepted; retry shortly');

/**
 * The API error for a guarded accept that wrote nothing. A `replay` reaching here means the store
 * answered a stream chunk as a batch: a broken adapter, not a client problem.
 */
export function refusal(outcome: Exclude<AcceptOutcome, { kind: 'accepted' }>): ParcError {
  switch (outcome.kind) {
    case 'mismatch':
      return idempotencyMismatch();
    case 'in_progress':
      return inProgress();
    case 'lost':
      return new ParcError(
        'IDEMPOTENCY_KEY_IN_PROGRESS',
        'this submission lost its hold on the Idempotency-Key (its lock expired) and stopped; retry with the same key and body to complete it',
      );
    case 'replay':
      return new ParcError('INTERNAL_ERROR', 'the idempotency store answered a stream chunk with a stored answer');
  }
}

/**
 * A stream's hold on its key: the lock is renewed every third of `lockMs` until `complete` or
 * `release`, so it outlives a slow stream but not its process. Every chunk carries the guard from
 * `guard`, so a holder that lost the lock writes nothing more.
 */
export class StreamHold {
  private readonly renewal: NodeJS.Timeout;

  private constructor(
    private readonly options: IdempotencyGateOptions,
    private readonly key: string,
    private readonly owner: string,
    /** What an earlier holder that died accepted, to be resumed. */
    readonly resume: StreamProgress | undefined,
  ) {
    this.renewal = setInterval(() => void this.renew(), Math.max(1, Math.floor(options.lockMs / 3)));
    this.renewal.unref();
  }

  /** Claims `key` for `owner`; the caller must `complete` or `release` a hold it got. */
  static async claim(options: IdempotencyGateOptions, key: string): Promise<StreamHold | { readonly completed: CompletedEntry }> {
    const owner = randomUUID();
    const claim = await options.store.claimStream(key, owner, options.lockMs);
    if (claim.kind === 'in_progress') throw inProgress();
    if (claim.kind === 'completed') return { completed: claim.entry };
    return new StreamHold(options, key, owner, claim.resume);
  }

  /** The guard of the chunk that brings the stream to `position`. */
  guard(batchId: string, position: StreamPosition): StreamGuard {
    return { kind: 'stream', key: this.key, owner: this.owner, batchId, position, ttlMs: this.options.ttlMs };
  }

  /**
   * Stores the stream's answer. A failure or a lost lock is logged, not thrown: everything is
   * accepted already, and a retry resumes the recorded progress to the same answer.
   */
  async complete(fingerprint: string, response: string): Promise<void> {
    clearInterval(this.renewal);
    try {
      if (!(await this.options.store.completeStream(this.key, this.owner, { fingerprint, response }, this.options.ttlMs))) {
        this.options.log.warn('the Idempotency-Key lock expired before the stream completed; its answer was not stored, a retry resumes it');
      }
    } catch (error) {
      this.options.log.error({ err: error }, 'could not store the Idempotency-Key answer; a retry resumes the stream once the lock expires');
    }
  }

  /** Drops the lock of a stream that was refused or broke; what it accepted stays resumable. */
  async release(): Promise<void> {
    clearInterval(this.renewal);
    try {
      await this.options.store.releaseStream(this.key, this.owner);
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not release an Idempotency-Key; it is free once its lock expires');
    }
  }

  private async renew(): Promise<void> {
    try {
      if (!(await this.options.store.renewStream(this.key, this.owner, this.options.lockMs))) {
        clearInterval(this.renewal);
        this.options.log.warn('a stream lost its Idempotency-Key lock; its next chunk is refused');
      }
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not renew an Idempotency-Key lock; trying again');
    }
  }
}

/**
 * `Idempotency-Key` handling: keys are scoped per API key name; answers are stored only for
 * accepted submissions, together with the accept (a refused one leaves the key free, so a
 * corrected body may reuse it).
 */
export class IdempotencyGate {
  constructor(private readonly options: IdempotencyGateOptions) {}

  /** The store key: the same Idempotency-Key under two API keys names two submissions. */
  scope(apiKey: string, idempotencyKey: string): string {
    return `${apiKey}:${idempotencyKey}`;
  }

  /** The guard that makes a JSON batch's accept store `response` in the same step. */
  batchGuard(key: string, fingerprint: string, response: string): BatchGuard {
    return { kind: 'batch', key, fingerprint, response, ttlMs: this.options.ttlMs };
  }

  /**
   * Claims `key` for a stream, whose fingerprint is known only at its end.
   * @returns the hold, or the completed entry to compare the stream's fingerprint with.
   * @throws ParcError IDEMPOTENCY_KEY_IN_PROGRESS while a live holder has it.
   */
  claimStream(key: string): Promise<StreamHold | { readonly completed: CompletedEntry }> {
    return StreamHold.claim(this.options, key);
  }

  /** Compares a stream's fingerprint with a completed entry's. @throws ParcError IDEMPOTENCY_KEY_MISMATCH. */
  judge(entry: CompletedEntry, fingerprint: string): { readonly replay: string } {
    if (entry.fingerprint !== fingerprint) throw idempotencyMismatch();
    return { replay: entry.response };
  }
}

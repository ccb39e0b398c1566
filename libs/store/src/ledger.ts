/**
 * The request ledger: what the API reports about each request and batch, and the records that
 * make the pipeline's at-least-once delivery look exactly-once from outside (one final result,
 * one callback per request). It lives in the proxy's Redis (or memory in the embedded mode).
 *
 * Every operation takes and applies many records at once: one round trip per stage batch.
 */
import type { AcceptGuard, AcceptOutcome } from './idempotency';

/** A request's state as the API reports it. */
export type RequestState = 'queued' | 'in_flight' | 'waiting_retry' | 'succeeded' | 'failed';

export const REQUEST_STATES: readonly RequestState[] = ['queued', 'in_flight', 'waiting_retry', 'succeeded', 'failed'];

export interface RequestRef {
  readonly id: string;
  readonly batchId: string;
}

/** A request accepted by the proxy: its serialised envelope goes to the inbox. */
export interface AcceptedRequest extends RequestRef {
  readonly payload: string;
}

/**
 * A move forward while the request is unfinished. `attempt` is the attempt the state refers to:
 * for `in_flight` the attempt starting now (1-based), for `waiting_retry` the attempt just
 * completed. Transitions are ordered by (attempt, state): one that is not newer than what is
 * recorded is ignored, so duplicates and late arrivals cannot move a request backwards, and
 * nothing moves a finished request.
 */
export interface Transition extends RequestRef {
  readonly state: 'in_flight' | 'waiting_retry';
  readonly attempt: number;
}

/** A request's final outcome, recorded once. */
export interface FinalRecord extends RequestRef {
  readonly status: 'succeeded' | 'failed';
  /** Attempts made in total. */
  readonly attempts: number;
  /** The final result as served by `GET /v1/requests/:id` (serialised JSON). */
  readonly result: string;
  /** The callback job to enqueue when this record finalises the request (serialised JSON). */
  readonly callback?: string;
  /** Why a failed request failed (cancelled, deadline_exceeded, …): counted per batch. */
  readonly reason?: string;
}

/**
 * The end of a batch's intake: no request joins it after this. A sealed batch is complete once
 * every request of it is final; if it names a `callback`, one `batch.completed` job goes to the
 * callbacks queue then, in the same atomic step as the last final record (or as the seal, when
 * every request was final before it).
 */
export interface BatchSeal {
  readonly batchId: string;
  /** Where the batch.completed event goes, and headers to send with it. */
  readonly callback?: { readonly url: string; readonly headers?: Readonly<Record<string, string>> };
}

/** One page of a batch's results, in the order the requests finished. */
export interface ResultPage {
  readonly results: readonly { readonly id: string; readonly result: string }[];
  /** Where the next page starts; unchanged when this page is empty. */
  readonly cursor: string | undefined;
  /**
   * How many of the batch's finished requests this page went over, those whose result is past its
   * retention (and so not in `results`) included: a page that went over `limit` may have more after
   * it, however few results it holds.
   */
  readonly scanned: number;
}

/** The outcome of a request's attempt number `attempts` (0: ended before its first call). */
export interface OutcomeRef extends RequestRef {
  readonly attempts: number;
}

/** See `RequestLedger.standing`. */
export interface OutcomeStanding {
  /**
   * Per outcome, in the order asked: whether it is stale. Per outcome, not per request id: one
   * batch can hold a stalled holder's outcome of attempt 2 (stale) and the outcome of attempt 3
   * (current) of the same request, and dropping both by id would strand the request.
   */
  readonly stale: readonly boolean[];
  readonly cancelled: ReadonlySet<string>;
}

export interface RequestStatus extends RequestRef {
  readonly state: RequestState;
  /** Attempts completed so far. */
  readonly attempts: number;
  readonly cancelRequested: boolean;
  /** The serialised final result once the request has finished. */
  readonly result?: string;
  readonly updatedAt: number;
}

export interface BatchStatus {
  readonly batchId: string;
  readonly total: number;
  readonly counts: Readonly<Record<RequestState, number>>;
  readonly cancelRequested: boolean;
  /** Sealed (its intake over) and every request final. */
  readonly complete: boolean;
  /** Failed requests by reason (cancelled, deadline_exceeded, attempts_exhausted, …). */
  readonly reasons: Readonly<Record<string, number>>;
  /** When its first and last requests finished (ISO 8601), once one has. */
  readonly firstFinishedAt?: string;
  readonly lastFinishedAt?: string;
}

/** A batch as `RequestLedger.recentBatches` lists it: its status, with its intake and its times. */
export interface RecentBatch extends BatchStatus {
  /** Its intake is over (see `BatchSeal`). Until then requests may still join it: `total` may grow. */
  readonly sealed: boolean;
  /** When the ledger first recorded it (ISO 8601): its first request, or its seal if that came first. */
  readonly startedAt: string;
  /** When it completed (ISO 8601), once `complete`. */
  readonly completedAt?: string;
}

/** Newest started first, then by batch id, last first: the order `RequestLedger.recentBatches` returns. */
export function byNewestStart(a: RecentBatch, b: RecentBatch): number {
  return a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.batchId < b.batchId ? 1 : a.batchId > b.batchId ? -1 : 0;
}

/** A cancellation request, as stages read them from the ledger's cancellation log. */
export interface Cancellation {
  /** Log position, for `cancellationsAfter`. */
  readonly position: string;
  /** A single request, or every request of a batch. */
  readonly requestId?: string;
  readonly batchId: string;
}

export interface RequestLedger {
  /**
   * Atomically appends each request's payload to the `inbox` queue and records it as queued:
   * a request is either accepted in full (queued and known) or not at all. With a `guard`, the
   * idempotency key is checked and updated in the same atomic step (see `AcceptGuard`), so that
   * requests are never accepted without their answer or stream progress, nor twice for one key;
   * any outcome but `accepted` wrote nothing. Without one, the outcome is always `accepted`.
   */
  accept(inbox: string, requests: readonly AcceptedRequest[], guard?: AcceptGuard): Promise<AcceptOutcome>;
  /**
   * Seals a batch (see `BatchSeal`); idempotent: sealing again changes nothing, and a batch that
   * completed already never calls back again. `callbackQueue` is where a batch.completed job goes.
   */
  seal(seal: BatchSeal, callbackQueue: string): Promise<void>;
  /**
   * Up to `limit` final results of a batch from `cursor` on (undefined: the first), oldest first.
   * Results whose request expired are left out.
   */
  results(batchId: string, cursor: string | undefined, limit: number): Promise<ResultPage>;
  /** The cursor just after request `id`'s result (to resume after it), or undefined when it has none. */
  resultCursor(id: string): Promise<string | undefined>;
  /** Records transitions; stale ones (see `Transition`) are ignored. */
  advance(transitions: readonly Transition[]): Promise<void>;
  /**
   * Records final outcomes. A request is finalised once: the first record wins, later ones are
   * ignored. For each request this call finalises, its `callback` job (if any) is appended to
   * `callbackQueue` in the same atomic step, so a result is never stored without its callback
   * nor called back twice. Returns the ids this call finalised.
   */
  finalize(records: readonly FinalRecord[], callbackQueue: string): Promise<Set<string>>;
  /** The ids among `refs` whose request or batch has a cancellation requested. */
  cancelled(refs: readonly RequestRef[]): Promise<Set<string>>;
  /**
   * How the outcomes of attempts stand against what is recorded, in one round trip: `stale` tells,
   * per outcome, whether its request has moved past the attempt reported (to a later attempt, or finished) —
   * another holder of the same request went on while this one was stalled (a process paused past
   * its lease, a duplicate delivery), so acting on it would move the request backwards; `cancelled`
   * as {@link cancelled}. An outcome of the attempt the request is at, or of the retry already
   * decided for it, is not stale: a redelivered outcome must be handled again.
   */
  standing(outcomes: readonly OutcomeRef[]): Promise<OutcomeStanding>;
  /**
   * `advance` for the transitions whose request and batch have no cancellation requested, in one
   * step (one round trip: parc-caller runs it before every batch of calls). Returns the ids that
   * were cancelled, and so not advanced.
   */
  advanceUnlessCancelled(transitions: readonly Transition[]): Promise<Set<string>>;
  /** Requests cancellation of one request; undefined when unknown or expired. */
  requestCancel(id: string): Promise<RequestStatus | undefined>;
  /** Requests cancellation of every request in a batch; undefined when unknown or expired. */
  requestBatchCancel(batchId: string): Promise<BatchStatus | undefined>;
  /** Cancellations logged after `position` (start with undefined), oldest first, at most `limit`. */
  cancellationsAfter(position: string | undefined, limit: number): Promise<Cancellation[]>;
  status(id: string): Promise<RequestStatus | undefined>;
  batch(batchId: string): Promise<BatchStatus | undefined>;
  /**
   * The live view of batches, one progress bar each (succeeded + failed of `total`): at most
   * `limit` of the batches not complete yet, the most recently started, and at most `limit` of
   * those that completed at or after now − `completedWithinMs`, the most recently completed (so a
   * bar is seen reaching 100 %); all in `byNewestStart` order, so a bar keeps its place as it
   * completes. A batch is open from its first request on (an accepted one, or a final record the
   * ledger adopts) until it completes: an unsealed one stays open even with every request final,
   * as it may still grow. A batch whose records expired is never listed; where records expire
   * (Redis), one still open a whole retention after it started is dropped as abandoned. Costs
   * O(log n) per batch opened or completed and O(limit) per call (two round trips), never a scan.
   */
  recentBatches(limit: number, completedWithinMs: number): Promise<RecentBatch[]>;
}

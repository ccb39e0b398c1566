import {
  FINAL_RANK,
  REQUEST_STATES,
  byNewestStart,
  isStaleOutcome,
  transitionRank,
  type AcceptGuard,
  type AcceptOutcome,
  type AcceptedRequest,
  type BatchSeal,
  type BatchStatus,
  type Cancellation,
  type FinalRecord,
  type OutcomeRef,
  type OutcomeStanding,
  type RecentBatch,
  type RequestLedger,
  type RequestRef,
  type RequestState,
  type RequestStatus,
  type ResultPage,
  type Transition,
  batchCompletedJob,
} from '@parc/store';
import type { OutboundMessage } from '@parc/queue';
import type { MemoryIdempotencyStore } from './memory-idempotency';

interface Entry {
  id: string;
  batchId: string;
  state: RequestState;
  rank: number;
  attempts: number;
  cancelRequested: boolean;
  result?: string;
  updatedAt: number;
}

interface Batch {
  readonly counts: Record<RequestState, number>;
  total: number;
  cancelRequested: boolean;
  /** Failed requests by reason. */
  readonly reasons: Record<string, number>;
  /** Request ids in the order they finished (the results stream). */
  readonly finished: string[];
  firstFinishedAt?: string;
  lastFinishedAt?: string;
  sealed: boolean;
  callback?: BatchSeal['callback'];
  /** When the ledger first recorded it (ms): its first request, or its seal if that came first. */
  readonly startedAt: number;
  /** When it completed (ISO 8601): set once, with its batch.completed job. */
  completedAt?: string;
}

/** Appends synchronously (the memory backend's publish), so ledger operations stay atomic. */
export type MemoryAppend = (queue: string, messages: readonly OutboundMessage[]) => void;

/**
 * The request ledger in process memory, for the embedded mode and unit tests. Guarded accepts
 * check and update `idempotency` (the backend's one store) with no await in between: atomic.
 */
export class MemoryLedger implements RequestLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly batches = new Map<string, Batch>();
  private readonly cancellations: Cancellation[] = [];
  /** Batches not complete yet, from their first request on (as the Redis ledger's open-batch index). */
  private readonly openBatches = new Set<string>();
  /** Completed batches in the order they completed, with when (ms). Nothing expires here. */
  private readonly completedBatches: { readonly batchId: string; readonly atMs: number }[] = [];

  constructor(
    private readonly append: MemoryAppend,
    private readonly idempotency: MemoryIdempotencyStore,
    private readonly now: () => number = Date.now,
  ) {}

  async accept(inbox: string, requests: readonly AcceptedRequest[], guard?: AcceptGuard): Promise<AcceptOutcome> {
    const refused = guard && this.idempotency.admit(guard);
    if (refused) return refused;
    const now = this.now();
    const fresh = requests.filter(({ id }) => !this.entries.has(id));
    for (const { id, batchId } of fresh) {
      this.entries.set(id, { id, batchId, state: 'queued', rank: 0, attempts: 0, cancelRequested: false, updatedAt: now });
      this.join(batchId);
    }
    this.append(inbox, fresh.map(({ id, payload }) => ({ payload, key: id })));
    if (guard) this.idempotency.record(guard, requests.map(({ id }) => id));
    return { kind: 'accepted' };
  }

  async advance(transitions: readonly Transition[]): Promise<void> {
    for (const { id, state, attempt } of transitions) {
      const entry = this.entries.get(id);
      const rank = transitionRank(state, attempt);
      if (!entry || rank <= entry.rank) continue;
      this.move(entry, state, rank, state === 'in_flight' ? attempt - 1 : attempt);
    }
  }

  async finalize(records: readonly FinalRecord[], callbackQueue: string): Promise<Set<string>> {
    const finalized = new Set<string>();
    const callbacks: OutboundMessage[] = [];
    const now = this.now();
    const nowIso = new Date(now).toISOString();
    for (const record of records) {
      const entry = this.entries.get(record.id) ?? this.adopt(record);
      if (entry.rank === FINAL_RANK) continue;
      this.move(entry, record.status, transitionRank(record.status, 0), record.attempts);
      entry.result = record.result;
      finalized.add(record.id);
      if (record.callback !== undefined) callbacks.push({ payload: record.callback, key: record.id });
      const batch = this.batchOf(record.batchId);
      batch.finished.push(record.id);
      batch.firstFinishedAt ??= nowIso;
      batch.lastFinishedAt = nowIso;
      if (record.reason !== undefined) batch.reasons[record.reason] = (batch.reasons[record.reason] ?? 0) + 1;
      const completed = this.completion(record.batchId, batch, now);
      if (completed) callbacks.push(completed);
    }
    this.append(callbackQueue, callbacks);
    return finalized;
  }

  async seal({ batchId, callback }: BatchSeal, callbackQueue: string): Promise<void> {
    const batch = this.batchOf(batchId);
    if (!batch.sealed) {
      batch.sealed = true;
      if (callback !== undefined) batch.callback = callback;
    }
    const completed = this.completion(batchId, batch, this.now());
    if (completed) this.append(callbackQueue, [completed]);
  }

  async results(batchId: string, cursor: string | undefined, limit: number): Promise<ResultPage> {
    const finished = this.batches.get(batchId)?.finished ?? [];
    const from = cursor === undefined ? 0 : Number(cursor);
    const ids = finished.slice(from, from + limit);
    const results = ids.flatMap((id) => {
      const result = this.entries.get(id)?.result;
      return result === undefined ? [] : [{ id, result }];
    });
    return { results, cursor: ids.length === 0 ? cursor : String(from + ids.length), scanned: ids.length };
  }

  async resultCursor(id: string): Promise<string | undefined> {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    const index = this.batches.get(entry.batchId)?.finished.indexOf(id) ?? -1;
    return index < 0 ? undefined : String(index + 1);
  }

  /**
   * The batch.completed job when `batch` has just completed (sealed, every request final), once; it
   * moves from the open batches to the completed ones then.
   */
  private completion(batchId: string, batch: Batch, now: number): OutboundMessage | undefined {
    if (!batch.sealed || batch.completedAt !== undefined || batch.counts.succeeded + batch.counts.failed < batch.total) return undefined;
    const nowIso = new Date(now).toISOString();
    batch.completedAt = nowIso;
    this.openBatches.delete(batchId);
    this.completedBatches.push({ batchId, atMs: now });
    if (batch.callback === undefined) return undefined;
    return { payload: batchCompletedJob(this.batchView(batchId, batch), batch.callback, nowIso), key: batchId };
  }

  async cancelled(refs: readonly RequestRef[]): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const { id, batchId } of refs) {
      if (this.entries.get(id)?.cancelRequested || this.batches.get(batchId)?.cancelRequested) ids.add(id);
    }
    return ids;
  }

  async standing(outcomes: readonly OutcomeRef[]): Promise<OutcomeStanding> {
    const stale = outcomes.map(({ id, attempts }) => {
      const entry = this.entries.get(id);
      return entry !== undefined && isStaleOutcome(entry.rank, attempts);
    });
    return { stale, cancelled: await this.cancelled(outcomes) };
  }

  async advanceUnlessCancelled(transitions: readonly Transition[]): Promise<Set<string>> {
    const cancelled = await this.cancelled(transitions);
    await this.advance(transitions.filter(({ id }) => !cancelled.has(id)));
    return cancelled;
  }

  async requestCancel(id: string): Promise<RequestStatus | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (!entry.cancelRequested) {
      entry.cancelRequested = true;
      this.log({ requestId: id, batchId: entry.batchId });
    }
    return this.view(entry);
  }

  async requestBatchCancel(batchId: string): Promise<BatchStatus | undefined> {
    const batch = this.batches.get(batchId);
    if (!batch) return undefined;
    if (!batch.cancelRequested) {
      batch.cancelRequested = true;
      this.log({ batchId });
    }
    return this.batchView(batchId, batch);
  }

  async cancellationsAfter(position: string | undefined, limit: number): Promise<Cancellation[]> {
    const from = position === undefined ? 0 : Number(position) + 1;
    return this.cancellations.slice(from, from + limit);
  }

  async status(id: string): Promise<RequestStatus | undefined> {
    const entry = this.entries.get(id);
    return entry && this.view(entry);
  }

  async batch(batchId: string): Promise<BatchStatus | undefined> {
    const batch = this.batches.get(batchId);
    return batch && this.batchView(batchId, batch);
  }

  async recentBatches(limit: number, completedWithinMs: number): Promise<RecentBatch[]> {
    if (limit <= 0) return [];
    const open = [...this.openBatches].map((batchId) => this.recentView(batchId)).sort(byNewestStart).slice(0, limit);
    const since = this.now() - completedWithinMs;
    const completed: RecentBatch[] = [];
    // Newest completion last: walk back until past the window (or `limit` found), never over them all.
    for (let i = this.completedBatches.length - 1; i >= 0 && completed.length < limit; i--) {
      const { batchId, atMs } = this.completedBatches[i] as { batchId: string; atMs: number };
      if (atMs < since) break;
      completed.push(this.recentView(batchId));
    }
    return [...open, ...completed].sort(byNewestStart);
  }

  private move(entry: Entry, state: RequestState, rank: number, attempts: number): void {
    const batch = this.batchOf(entry.batchId);
    batch.counts[entry.state]--;
    batch.counts[state]++;
    entry.state = state;
    entry.rank = rank;
    entry.attempts = attempts;
    entry.updatedAt = this.now();
  }

  /** A final record for a request the ledger never saw (e.g. it expired): record it anyway. */
  private adopt({ id, batchId }: FinalRecord): Entry {
    const entry: Entry = { id, batchId, state: 'queued', rank: 0, attempts: 0, cancelRequested: false, updatedAt: this.now() };
    this.entries.set(id, entry);
    this.join(batchId);
    return entry;
  }

  /** Counts a new request, queued, in its batch; the first one opens the batch. */
  private join(batchId: string): void {
    const batch = this.batchOf(batchId);
    if (++batch.total === 1) this.openBatches.add(batchId);
    batch.counts.queued++;
  }

  private log(cancellation: Omit<Cancellation, 'position'>): void {
    this.cancellations.push({ position: String(this.cancellations.length), ...cancellation });
  }

  private batchOf(batchId: string): Batch {
    let batch = this.batches.get(batchId);
    if (!batch) {
      batch = {
        counts: Object.fromEntries(REQUEST_STATES.map((s) => [s, 0])) as Record<RequestState, number>,
        total: 0,
        cancelRequested: false,
        reasons: {},
        finished: [],
        sealed: false,
        startedAt: this.now(),
      };
      this.batches.set(batchId, batch);
    }
    return batch;
  }

  private view(entry: Entry): RequestStatus {
    const { id, batchId, state, attempts, cancelRequested, result, updatedAt } = entry;
    return result === undefined
      ? { id, batchId, state, attempts, cancelRequested, updatedAt }
      : { id, batchId, state, attempts, cancelRequested, result, updatedAt };
  }

  private batchView(batchId: string, batch: Batch): BatchStatus {
    return {
      batchId,
      total: batch.total,
      counts: { ...batch.counts },
      cancelRequested: batch.cancelRequested,
      complete: batch.completedAt !== undefined,
      reasons: { ...batch.reasons },
      ...(batch.firstFinishedAt === undefined ? {} : { firstFinishedAt: batch.firstFinishedAt, lastFinishedAt: batch.lastFinishedAt }),
    };
  }

  private recentView(batchId: string): RecentBatch {
    const batch = this.batchOf(batchId);
    const { completedAt } = batch;
    return {
      ...this.batchView(batchId, batch),
      sealed: batch.sealed,
      startedAt: new Date(batch.startedAt).toISOString(),
      ...(completedAt === undefined ? {} : { completedAt }),
    };
  }
}

import type { Redis } from 'ioredis';
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
} from '@parc/store';
import { ACCEPT_N, ADVANCE_N, ADVANCE_UNLESS_CANCELLED_N, CANCEL_2, FINALIZE_N, SEAL_4 } from './scripts/ledger-scripts.lua';
import { defineScripts, type ScriptRunner } from './scripts/define';
import { guardArguments } from './redis-idempotency';

export interface RedisLedgerOptions {
  /** Key prefix (default `parc`). */
  readonly prefix?: string;
  /** How long a request's and batch's records live after their last change (default 7 days). */
  readonly retentionMs?: number;
  readonly now?: () => number;
}

const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;

/** The request ledger in the proxy's Redis (see scripts/ledger-scripts.lua.ts for the layout). */
export class RedisLedger implements RequestLedger {
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly now: () => number;
  private readonly scripts: ScriptRunner<'accept' | 'advance' | 'advanceUnlessCancelled' | 'finalize' | 'cancel' | 'seal'>;

  constructor(private readonly redis: Redis, options: RedisLedgerOptions = {}) {
    this.prefix = options.prefix ?? 'parc';
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? Date.now;
    this.scripts = defineScripts(redis, {
      accept: ACCEPT_N,
      advance: ADVANCE_N,
      advanceUnlessCancelled: ADVANCE_UNLESS_CANCELLED_N,
      finalize: FINALIZE_N,
      cancel: CANCEL_2,
      seal: SEAL_4,
    });
  }

  async accept(inbox: string, requests: readonly AcceptedRequest[], guard?: AcceptGuard): Promise<AcceptOutcome> {
    if (requests.length === 0 && guard === undefined) return { kind: 'accepted' };
    const checked = guardArguments(this.prefix, guard);
    const keys = [inbox, this.openBatchesKey(), ...checked.keys, ...requests.flatMap((r) => [this.requestKey(r.id), this.batchKey(r.batchId)])];
    const args = [this.now(), this.retentionMs, ...checked.args, ...requests.flatMap((r) => [r.id, r.batchId, r.payload])];
    const [kind, response] = (await this.scripts.accept(keys, args)) as [AcceptOutcome['kind'], unknown];
    if (kind === 'replay') return { kind, response: String(response) };
    return { kind };
  }

  async advance(transitions: readonly Transition[]): Promise<void> {
    if (transitions.length === 0) return;
    const keys = transitions.flatMap((t) => [this.requestKey(t.id), this.batchKey(t.batchId)]);
    const args = [
      this.now(),
      this.retentionMs,
      ...transitions.flatMap((t) => [t.state, transitionRank(t.state, t.attempt), t.state === 'in_flight' ? t.attempt - 1 : t.attempt]),
    ];
    await this.scripts.advance(keys, args);
  }

  async advanceUnlessCancelled(transitions: readonly Transition[]): Promise<Set<string>> {
    if (transitions.length === 0) return new Set();
    const keys = transitions.flatMap((t) => [this.requestKey(t.id), this.batchKey(t.batchId)]);
    const args = [
      this.now(),
      this.retentionMs,
      ...transitions.flatMap((t) => [t.id, t.state, transitionRank(t.state, t.attempt), t.state === 'in_flight' ? t.attempt - 1 : t.attempt]),
    ];
    return new Set((await this.scripts.advanceUnlessCancelled(keys, args)) as string[]);
  }

  async finalize(records: readonly FinalRecord[], callbackQueue: string): Promise<Set<string>> {
    if (records.length === 0) return new Set();
    const keys = [
      callbackQueue,
      this.openBatchesKey(),
      this.completedBatchesKey(),
      ...records.flatMap((r) => [this.requestKey(r.id), this.batchKey(r.batchId), this.resultsKey(r.batchId)]),
    ];
    const now = this.now();
    const args = [
      now,
      this.retentionMs,
      String(FINAL_RANK),
      new Date(now).toISOString(),
      ...records.flatMap((r) => [r.id, r.batchId, r.status, r.attempts, r.result, r.callback ?? '', r.reason ?? '']),
    ];
    return new Set((await this.scripts.finalize(keys, args)) as string[]);
  }

  async seal({ batchId, callback }: BatchSeal, callbackQueue: string): Promise<void> {
    const headers = callback?.headers === undefined ? '' : JSON.stringify(callback.headers);
    const now = this.now();
    await this.scripts.seal(
      [this.batchKey(batchId), callbackQueue, this.openBatchesKey(), this.completedBatchesKey()],
      [batchId, new Date(now).toISOString(), this.retentionMs, callback?.url ?? '', headers, now],
    );
  }

  async results(batchId: string, cursor: string | undefined, limit: number): Promise<ResultPage> {
    const entries = (await this.redis.xrange(this.resultsKey(batchId), cursor === undefined ? '-' : `(${cursor}`, '+', 'COUNT', limit)) as [string, string[]][];
    if (entries.length === 0) return { results: [], cursor, scanned: 0 };
    const ids = entries.map(([, fields]) => toMap(fields).get('i') ?? '');
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.requestKey(id), 'res');
    const replies = (await pipeline.exec()) ?? [];
    const results = ids.flatMap((id, i) => {
      const [error, result] = replies[i] ?? [null, null];
      if (error) throw error;
      return typeof result === 'string' ? [{ id, result }] : [];
    });
    return { results, cursor: (entries[entries.length - 1] as [string, string[]])[0], scanned: entries.length };
  }

  async resultCursor(id: string): Promise<string | undefined> {
    return (await this.redis.hget(this.requestKey(id), 'ri')) ?? undefined;
  }

  async cancelled(refs: readonly RequestRef[]): Promise<Set<string>> {
    if (refs.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const ref of refs) pipeline.hget(this.requestKey(ref.id), 'c').hget(this.batchKey(ref.batchId), 'c');
    const results = (await pipeline.exec()) ?? [];
    const ids = new Set<string>();
    refs.forEach((ref, i) => {
      const [requestFlag, batchFlag] = [results[2 * i], results[2 * i + 1]];
      if (requestFlag?.[0] || batchFlag?.[0]) throw requestFlag?.[0] ?? batchFlag?.[0];
      if (requestFlag?.[1] === '1' || batchFlag?.[1] === '1') ids.add(ref.id);
    });
    return ids;
  }

  async standing(outcomes: readonly OutcomeRef[]): Promise<OutcomeStanding> {
    const stale: boolean[] = [];
    const cancelled = new Set<string>();
    if (outcomes.length === 0) return { stale, cancelled };
    const pipeline = this.redis.pipeline();
    for (const ref of outcomes) pipeline.hmget(this.requestKey(ref.id), 'r', 'c').hget(this.batchKey(ref.batchId), 'c');
    const results = (await pipeline.exec()) ?? [];
    outcomes.forEach((ref, i) => {
      const [request, batch] = [results[2 * i], results[2 * i + 1]];
      if (request?.[0] || batch?.[0]) throw request?.[0] ?? batch?.[0];
      const [rank, requestFlag] = (request?.[1] ?? [null, null]) as [string | null, string | null];
      // An expired record (no rank) stands in nobody's way.
      stale.push(rank !== null && isStaleOutcome(Number(rank), ref.attempts));
      if (requestFlag === '1' || batch?.[1] === '1') cancelled.add(ref.id);
    });
    return { stale, cancelled };
  }

  async requestCancel(id: string): Promise<RequestStatus | undefined> {
    const fields = (await this.scripts.cancel([this.requestKey(id), this.cancellationsKey()], [id, ''])) as string[] | null;
    return fields ? this.toStatus(id, toMap(fields)) : undefined;
  }

  async requestBatchCancel(batchId: string): Promise<BatchStatus | undefined> {
    const fields = (await this.scripts.cancel([this.batchKey(batchId), this.cancellationsKey()], ['', batchId])) as string[] | null;
    return fields ? toBatch(batchId, toMap(fields)) : undefined;
  }

  async cancellationsAfter(position: string | undefined, limit: number): Promise<Cancellation[]> {
    const start = position === undefined ? '-' : `(${position}`;
    const entries = (await this.redis.xrange(this.cancellationsKey(), start, '+', 'COUNT', limit)) as [string, string[]][];
    return entries.map(([entryId, fields]) => {
      const map = toMap(fields);
      const requestId = map.get('r');
      const batchId = map.get('b') ?? '';
      return requestId === undefined ? { position: entryId, batchId } : { position: entryId, requestId, batchId };
    });
  }

  async status(id: string): Promise<RequestStatus | undefined> {
    const fields = await this.redis.hgetall(this.requestKey(id));
    return Object.keys(fields).length === 0 ? undefined : this.toStatus(id, new Map(Object.entries(fields)));
  }

  async batch(batchId: string): Promise<BatchStatus | undefined> {
    const fields = await this.redis.hgetall(this.batchKey(batchId));
    return Object.keys(fields).length === 0 ? undefined : toBatch(batchId, new Map(Object.entries(fields)));
  }

  async recentBatches(limit: number, completedWithinMs: number): Promise<RecentBatch[]> {
    if (limit <= 0) return [];
    const indexes = (await this.redis
      .pipeline()
      .zrevrange(this.openBatchesKey(), 0, limit - 1)
      .zrevrangebyscore(this.completedBatchesKey(), '+inf', this.now() - completedWithinMs, 'LIMIT', 0, limit)
      .exec()) ?? [];
    const ids = new Set<string>();
    for (const [error, members] of indexes) {
      if (error) throw error;
      for (const id of members as string[]) ids.add(id);
    }
    if (ids.size === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.batchKey(id));
    const replies = (await pipeline.exec()) ?? [];
    const batches = [...ids].flatMap((id, i) => {
      const [error, fields] = replies[i] ?? [null, {}];
      if (error) throw error;
      const map = new Map(Object.entries(fields as Record<string, string>));
      // The scripts trim the index as they write batches: an entry whose batch expired since is left out here.
      return map.size === 0 ? [] : [toRecentBatch(id, map)];
    });
    return batches.sort(byNewestStart);
  }

  private toStatus(id: string, fields: Map<string, string>): RequestStatus {
    const base = {
      id,
      batchId: fields.get('b') ?? '',
      state: (fields.get('s') ?? 'queued') as RequestState,
      attempts: Number(fields.get('a') ?? 0),
      cancelRequested: fields.get('c') === '1',
      updatedAt: Number(fields.get('u') ?? 0),
    };
    const result = fields.get('res');
    return result === undefined ? base : { ...base, result };
  }

  private requestKey(id: string): string {
    return `${this.prefix}:req:${id}`;
  }

  private batchKey(batchId: string): string {
    return `${this.prefix}:batch:${batchId}`;
  }

  private resultsKey(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:results`;
  }

  /** The open batches, scored by when each was first recorded (its hash's `at`). */
  private openBatchesKey(): string {
    return `${this.prefix}:batches:open`;
  }

  /** The completed batches, scored by when each completed (ms). */
  private completedBatchesKey(): string {
    return `${this.prefix}:batches:completed`;
  }

  private cancellationsKey(): string {
    return `${this.prefix}:cancellations`;
  }
}

/** Redis returns hashes as flat [field, value, …] from scripts and XRANGE. */
function toMap(flat: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] as string, flat[i + 1] as string);
  return map;
}

function toBatch(batchId: string, fields: Map<string, string>): BatchStatus {
  const counts = Object.fromEntries(REQUEST_STATES.map((state) => [state, Number(fields.get(state) ?? 0)])) as Record<RequestState, number>;
  const reasons = Object.fromEntries([...fields].filter(([name]) => name.startsWith('rs:')).map(([name, value]) => [name.slice(3), Number(value)]));
  const first = fields.get('f1');
  return {
    batchId,
    total: Number(fields.get('total') ?? 0),
    counts,
    cancelRequested: fields.get('c') === '1',
    complete: fields.has('done'),
    reasons,
    ...(first === undefined ? {} : { firstFinishedAt: first, lastFinishedAt: fields.get('fl') ?? first }),
  };
}

function toRecentBatch(batchId: string, fields: Map<string, string>): RecentBatch {
  const completedAt = fields.get('done');
  return {
    ...toBatch(batchId, fields),
    sealed: fields.get('sealed') === '1',
    // Opening and sealing stamp `at`; only a batch recorded before the index existed lacks it (listed as of the epoch).
    startedAt: new Date(Number(fields.get('at') ?? 0)).toISOString(),
    ...(completedAt === undefined ? {} : { completedAt }),
  };
}

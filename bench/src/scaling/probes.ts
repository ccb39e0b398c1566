/**
 * What the bench reads from a running configuration besides its processes: the scheduler's
 * decision log (`GET /v1/scheduler/decisions`), and the entries each parc-caller holds in its
 * Parc's `ready` stream (`XINFO CONSUMERS`), for the delay a scale-down causes.
 */
import type { DecisionEntry } from '@parc/scheduler';
import { redisCommands, type RespValue } from '@parc/testing';
import { parcNames } from '@parc/topology';

/** The consumer group of the callers on `ready`. */
export const CALLER_GROUP = 'parc-caller';

/** A consumer's pending count over time: a point each time it changed, and when it left the group. */
export interface ConsumerPending {
  readonly name: string;
  readonly parcId: string;
  /** [performance.now(), pending], a point per change (the first sample included). */
  readonly points: [number, number][];
  /** Last sample that listed it. */
  lastListed: number;
  /** First sample after `lastListed` that did not list it (it left the group: removed as stale). */
  leftGroupAt?: number;
}

export interface PendingProbe {
  /** By consumer name. */
  readonly consumers: ReadonlyMap<string, ConsumerPending>;
  /** Samples taken, and how many failed (Redis busy or gone). */
  readonly counts: { samples: number; failures: number };
  stop(): Promise<void>;
}

/** XINFO CONSUMERS' reply as name → pending. */
function pendingOf(reply: RespValue | undefined): Map<string, number> {
  const pending = new Map<string, number>();
  for (const info of Array.isArray(reply) ? reply : []) {
    if (!Array.isArray(info)) continue;
    const fields = new Map<string, RespValue>();
    for (let i = 0; i + 1 < info.length; i += 2) fields.set(String(info[i]), info[i + 1] as RespValue);
    pending.set(String(fields.get('name')), Number(fields.get('pending')));
  }
  return pending;
}

/**
 * Polls `XINFO CONSUMERS <ready> parc-caller` of every Parc `parcIds()` names, every `everyMs`,
 * on the Parcs' Redis, and keeps each consumer's pending count as a step function. One
 * connection per Parc and poll (the harness's RESP client): a few dozen a second at most.
 */
export function startPendingProbe(options: { readonly parcRedisUrl: string; readonly namespace: string; readonly parcIds: () => readonly string[]; readonly everyMs?: number }): PendingProbe {
  const consumers = new Map<string, ConsumerPending>();
  const counts = { samples: 0, failures: 0 };
  let running = true;
  const pollParc = async (parcId: string): Promise<void> => {
    const stream = parcNames(parcId, options.namespace).ready;
    let reply: RespValue | undefined;
    try {
      [reply] = await redisCommands(options.parcRedisUrl, [['XINFO', 'CONSUMERS', stream, CALLER_GROUP]], 1_000);
    } catch {
      // No stream or group yet (a Parc starting), or Redis too busy to answer within a second.
      counts.failures++;
      return;
    }
    const at = performance.now();
    const listed = pendingOf(reply);
    for (const [name, pending] of listed) {
      let consumer = consumers.get(name);
      if (!consumer) {
        consumer = { name, parcId, points: [], lastListed: at };
        consumers.set(name, consumer);
      }
      const last = consumer.points[consumer.points.length - 1];
      if (last === undefined || last[1] !== pending || consumer.leftGroupAt !== undefined) consumer.points.push([at, pending]);
      consumer.lastListed = at;
      delete consumer.leftGroupAt;
    }
    for (const consumer of consumers.values()) {
      if (consumer.parcId === parcId && !listed.has(consumer.name) && consumer.leftGroupAt === undefined) consumer.leftGroupAt = at;
    }
  };
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await Promise.all(options.parcIds().map(pollParc));
      counts.samples++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (options.everyMs ?? 250) - (performance.now() - started))));
    }
  })();
  return {
    consumers,
    counts,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** The scheduler's decision log, gathered by polling (it keeps a bounded number of ticks). */
export interface DecisionPoller {
  /** Every tick seen, oldest first. */
  decisions(): DecisionEntry[];
  /** Polls once more (the last ticks), then stops. */
  stop(): Promise<void>;
}

/** Most ticks the endpoint returns at once (its `limit` pattern). */
const MAX_LIMIT = 1_000;

export function startDecisionPoller(schedulerUrl: string, everyMs = 10_000): DecisionPoller {
  const byTime = new Map<number, DecisionEntry>();
  const poll = async (limit: number): Promise<void> => {
    try {
      const response = await fetch(`${schedulerUrl}/v1/scheduler/decisions?limit=${limit}`, { signal: AbortSignal.timeout(10_000) });
      if (response.status !== 200) return;
      for (const entry of ((await response.json()) as { decisions: DecisionEntry[] }).decisions) byTime.set(entry.atMs, entry);
    } catch {
      // The next poll (or the last one, with the full limit) picks the ticks up.
    }
  };
  const timer = setInterval(() => void poll(100), everyMs);
  timer.unref();
  return {
    decisions: () => [...byTime.values()].sort((a, b) => a.atMs - b.atMs),
    stop: async () => {
      clearInterval(timer);
      await poll(MAX_LIMIT);
    },
  };
}

/** Where a request that never called back stands, as the proxy's status API tells it. */
export interface MissingRequest {
  readonly clientId: string;
  readonly requestId?: string;
  /** GET /v1/requests/:id: state, attempts, and when it last changed (epoch ms); or why it could not be read. */
  readonly status?: { readonly state: string; readonly attempts: number; readonly updatedAt?: number } | { readonly error: string };
}

/** The status of up to `limit` requests that never called back, one GET each (run before the stack stops). */
export async function statusOfMissing(proxyUrl: string, apiKey: string, missing: readonly { readonly clientId: string; readonly requestId?: string }[], limit = 50): Promise<MissingRequest[]> {
  return Promise.all(
    missing.slice(0, limit).map(async ({ clientId, requestId }) => {
      if (requestId === undefined) return { clientId };
      try {
        const response = await fetch(`${proxyUrl}/v1/requests/${requestId}`, { headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(5_000) });
        if (response.status !== 200) return { clientId, requestId, status: { error: `HTTP ${response.status}` } };
        const body = (await response.json()) as { state: string; attempts?: unknown[] | number; updatedAt?: string | number };
        const attempts = Array.isArray(body.attempts) ? body.attempts.length : Number(body.attempts ?? 0);
        const updatedAt = body.updatedAt === undefined ? undefined : new Date(body.updatedAt).getTime();
        return { clientId, requestId, status: { state: body.state, attempts, ...(updatedAt === undefined || Number.isNaN(updatedAt) ? {} : { updatedAt }) } };
      } catch (error) {
        return { clientId, requestId, status: { error: error instanceof Error ? error.message : String(error) } };
      }
    }),
  );
}

/**
 * The Parcs' streams and delayed sets as they stand (run before the stack stops): entries, and
 * per group the pending count and consumers holding any, so that a request that never called
 * back can be placed.
 */
export async function parcQueuesSnapshot(parcRedisUrl: string, namespace: string, parcIds: readonly string[]): Promise<Record<string, unknown>> {
  const snapshot: Record<string, unknown> = {};
  for (const parcId of parcIds) {
    const names = parcNames(parcId, namespace);
    try {
      const [ready, done, due, delayed, readyGroups, doneGroups] = await redisCommands(
        parcRedisUrl,
        [['XLEN', names.ready], ['XLEN', names.done], ['XLEN', names.due], ['ZCARD', names.delayed], ['XINFO', 'GROUPS', names.ready], ['XINFO', 'GROUPS', names.done]],
        5_000,
      );
      snapshot[parcId] = { ready, done, due, delayed, readyGroups, doneGroups };
    } catch (error) {
      snapshot[parcId] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  return snapshot;
}

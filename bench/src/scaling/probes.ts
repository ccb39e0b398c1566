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

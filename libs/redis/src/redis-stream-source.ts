import type { Redis } from 'ioredis';
import type { Delivery, PollingSource, QueueLogger } from '@parc/queue';
import { toDeliveries, type RawStreamEntry } from './stream-entries';
import { defineScripts, type ScriptRunner } from './scripts/define';
import { HAND_BACK_1 } from './scripts/hand-back-1.lua';

export interface StreamSourceSettings {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly leaseMs: number;
  readonly blockMs: number;
  readonly reclaimIntervalMs: number;
  /** Consumers idle this long with nothing pending are removed from the group (dead processes). */
  readonly staleConsumerMs: number;
  /**
   * The consumer name is this instance's own across restarts (not unique per process): what it
   * still held when it died is taken back at once on the first fetches, instead of after the lease.
   */
  readonly adoptsPending: boolean;
  readonly logger: QueueLogger;
}

/**
 * The idle time a hand-back gives entries: past any lease (a day, or twice the lease if that is
 * longer), so every other consumer's XAUTOCLAIM takes them, whatever lease it was started with.
 * Not larger: Redis resets a delivery time that would fall before the epoch to now.
 */
const HANDED_BACK_IDLE_MS = 86_400_000;
/** Entries handed back per script call when a closing consumer hands back all it holds. */
const HAND_BACK_PAGE = 1_000;

/**
 * The Redis-streams side of a polling consumer. `commands` is the backend's shared connection;
 * `blocking` is this consumer's own, because XREADGROUP BLOCK holds its connection.
 */
export class RedisStreamSource implements PollingSource {
  private reclaimCursor = '0-0';
  private nextReclaimAt = 0;
  private reclaimPasses = 0;
  /** Where reading this consumer's own pending entries goes on; undefined once they are all read. */
  private ownPendingCursor: string | undefined;
  private readonly scripts: ScriptRunner<'handBack'>;

  constructor(
    private readonly commands: Redis,
    private readonly blocking: Redis,
    private readonly settings: StreamSourceSettings,
  ) {
    if (settings.adoptsPending) this.ownPendingCursor = '0-0';
    this.scripts = defineScripts(commands, { handBack: HAND_BACK_1 });
  }

  async fetch(max: number, signal: AbortSignal): Promise<Delivery[]> {
    if (this.ownPendingCursor !== undefined) {
      const adopted = await this.readOwnPending(max);
      if (adopted.length > 0) return adopted;
    }
    if (Date.now() >= this.nextReclaimAt) {
      const reclaimed = await this.reclaim(max);
      // Keep reclaiming batch after batch until the pending list has been scanned through (the
      // cursor wraps to 0-0): a dead consumer may have held hundreds of messages, and taking one
      // batch per interval would make them wait minutes.
      if (this.reclaimCursor === '0-0') this.nextReclaimAt = Date.now() + this.settings.reclaimIntervalMs;
      if (reclaimed.length > 0) return reclaimed;
    }
    return this.readNew(max, signal);
  }

  async ack(batch: readonly Delivery[]): Promise<void> {
    const ids = batch.map((delivery) => delivery.id);
    const { stream, group } = this.settings;
    // Acknowledged entries are deleted too: the stream then holds only unfinished work, so its
    // length is the backlog and memory does not grow. This assumes one group per stream.
    const results = await this.commands.multi().xack(stream, group, ...ids).xdel(stream, ...ids).exec();
    const failure = results?.find(([error]) => error)?.[0];
    if (failure) throw failure;
  }

  async renew(ids: readonly string[]): Promise<void> {
    const { stream, group, consumer } = this.settings;
    await this.commands.xclaim(stream, group, consumer, 0, ...ids, 'JUSTID');
  }

  /**
   * Hands entries back (hand-back-1): they stay pending, with their delivery count, but idle past
   * any lease, so another consumer's next reclaim pass (every `reclaimIntervalMs`, 1 s at most by
   * default) takes them instead of waiting for their lease to run out. Without `ids`, page by page
   * through everything still pending to this consumer.
   */
  async handBack(ids?: readonly string[]): Promise<void> {
    const { stream, group, consumer, leaseMs } = this.settings;
    const common = [group, consumer, Math.max(HANDED_BACK_IDLE_MS, 2 * leaseMs)];
    let count = 0;
    if (ids !== undefined) {
      if (ids.length > 0) count = Number(((await this.scripts.handBack([stream], [...common, 'ids', ...ids])) as [number, number, string])[0]);
    } else {
      for (let start = '-'; ; ) {
        const [handed, looked, last] = (await this.scripts.handBack([stream], [...common, 'all', start, HAND_BACK_PAGE])) as [number, number, string];
        count += Number(handed);
        if (Number(looked) < HAND_BACK_PAGE || last === '') break;
        start = `(${last}`;
      }
    }
    if (count > 0) this.settings.logger.info({ stream, group, consumer, count }, 'handed back messages this consumer will not handle (closing)');
  }

  async release(): Promise<void> {
    this.blocking.disconnect();
  }

  private async readNew(max: number, signal: AbortSignal): Promise<Delivery[]> {
    const { stream, group, consumer, blockMs } = this.settings;
    // Closing must not wait for a BLOCK to time out: dropping the connection ends it at once.
    const interrupt = (): void => this.blocking.disconnect();
    signal.addEventListener('abort', interrupt, { once: true });
    try {
      const reply = (await this.blocking.xreadgroup(
        'GROUP', group, consumer, 'COUNT', max, 'BLOCK', blockMs, 'STREAMS', stream, '>',
      )) as [string, RawStreamEntry[]][] | null;
      return reply ? toDeliveries(reply[0]?.[1] ?? []) : [];
    } catch (error) {
      if (signal.aborted) return [];
      throw error;
    } finally {
      signal.removeEventListener('abort', interrupt);
    }
  }

  /**
   * The entries this consumer name held when its previous process died (its history: XREADGROUP
   * from an id rather than `>`), read once from the start, batch after batch.
   */
  private async readOwnPending(max: number): Promise<Delivery[]> {
    const { stream, group, consumer } = this.settings;
    const reply = (await this.commands.xreadgroup('GROUP', group, consumer, 'COUNT', max, 'STREAMS', stream, this.ownPendingCursor as string)) as
      | [string, RawStreamEntry[]][]
      | null;
    const entries = reply?.[0]?.[1] ?? [];
    const last = entries[entries.length - 1];
    this.ownPendingCursor = last === undefined ? undefined : last[0];
    if (entries.length === 0) return [];
    this.settings.logger.info({ stream, group, consumer, count: entries.length }, 'took back the messages this instance held before it restarted');
    // Redis counts a history read as a delivery, as it does a reclaim.
    return toDeliveries(entries, await this.deliveryCounts(entries));
  }

  /**
   * Takes over entries whose lease expired (their consumer died or stalled past the lease) and
   * entries a closing consumer handed back (idle past any lease too).
   */
  private async reclaim(max: number): Promise<Delivery[]> {
    const { stream, group, consumer, leaseMs } = this.settings;
    const [cursor, entries] = (await this.commands.xautoclaim(
      stream, group, consumer, leaseMs, this.reclaimCursor, 'COUNT', max,
    )) as [string, RawStreamEntry[], string[]?];
    this.reclaimCursor = cursor;
    if (++this.reclaimPasses % 20 === 1) await this.removeStaleConsumers();
    if (entries.length === 0) return [];
    this.settings.logger.info({ stream, group, count: entries.length }, 'took over messages another consumer left (its lease expired, or it handed them back as it closed)');
    return toDeliveries(entries, await this.deliveryCounts(entries));
  }

  private async deliveryCounts(entries: readonly RawStreamEntry[]): Promise<Map<string, number>> {
    const { stream, group, consumer } = this.settings;
    const first = entries[0]?.[0] ?? '-';
    const last = entries[entries.length - 1]?.[0] ?? '+';
    const pending = (await this.commands.xpending(stream, group, first, last, entries.length, consumer)) as [string, string, number, number][];
    return new Map(pending.map(([id, , , count]) => [id, count]));
  }

  private async removeStaleConsumers(): Promise<void> {
    const { stream, group, staleConsumerMs } = this.settings;
    const consumers = (await this.commands.xinfo('CONSUMERS', stream, group)) as (string | number)[][];
    for (const info of consumers) {
      const fields = new Map<string, string | number>();
      for (let i = 0; i + 1 < info.length; i += 2) fields.set(String(info[i]), info[i + 1] as string | number);
      if (Number(fields.get('pending')) === 0 && Number(fields.get('idle')) > staleConsumerMs) {
        await this.commands.xgroup('DELCONSUMER', stream, group, String(fields.get('name')));
      }
    }
  }
}

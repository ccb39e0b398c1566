import { randomBytes } from 'node:crypto';
import { isParcError } from '@parc/errors';
import type { BatchHandler, DelayedQueueFactory, Delivery, QueueBackend, QueueConsumer } from '@parc/queue';
import { delay, waitFor } from './wait-for';

/** What an adapter's spec supplies to run the shared conformance suite against it. */
export interface QueueConformanceTarget {
  /** Shown in the suite's title, e.g. `redis streams (Redis 7.0.15)`. */
  readonly name: string;
  /** A fresh client of the backend under test; the suite closes it after each test. */
  createBackend(): Promise<QueueBackend> | QueueBackend;
  /**
   * Start a consumer that receives messages, never acknowledges them, and then dies the way a
   * crashed process does (Redis/Kafka: a child process killed with SIGKILL).
   */
  startDoomedConsumer(backend: QueueBackend, spec: { queue: string; group: string; hold: number }): Promise<{ received: readonly string[]; kill(): Promise<void> }>;
  /** Upper bound for a dead consumer's messages to reach another consumer (lease or session timeout). */
  readonly redeliveryWithinMs: number;
  /** Whether the backend counts deliveries (Kafka cannot). */
  readonly countsDeliveries: boolean;
  /**
   * The hand-back on close: `createBackend` gives a fresh client whose leases (Kafka: session
   * timeout) are far longer than `withinMs`, so that only a hand-back (Kafka: leaving the group)
   * brings a closing consumer's messages to another consumer within `withinMs`.
   */
  readonly handBack: { createBackend(): Promise<QueueBackend> | QueueBackend; readonly withinMs: number };
  /** Present for backends with delayed sets. */
  readonly delayed?: (backend: QueueBackend) => DelayedQueueFactory;
  /** Removes what a test created, where the backend is shared with others. */
  readonly cleanup?: (queues: readonly string[]) => Promise<void>;
}

const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;
const messages = (count: number, prefix = 'm'): { payload: string; key: string }[] =>
  Array.from({ length: count }, (_, i) => ({ payload: `${prefix}-${i}`, key: `k-${i}` }));

/**
 * The contract every queue adapter honours (see `@parc/queue`'s port): registers a `describe`
 * block with the same tests for memory, Redis streams and Kafka.
 */
export function describeQueueConformance(target: QueueConformanceTarget): void {
  describe(`queue conformance: ${target.name}`, () => {
    let backend: QueueBackend;
    let queue: string;
    let group: string;
    const createdQueues: string[] = [];

    beforeEach(async () => {
      backend = await target.createBackend();
      queue = uniqueName('q');
      group = uniqueName('g');
      createdQueues.push(queue);
      await backend.ensureQueue(queue, { partitions: 1 });
    });

    afterEach(async () => {
      await backend.close();
      await target.cleanup?.(createdQueues.splice(0));
    });

    /** Starts a consumer that records every delivery; resolves `handle` decides the outcome. */
    const collect = async (options: { batchSize?: number; concurrency?: number; handle?: BatchHandler } = {}) => {
      const deliveries: Delivery[] = [];
      const batches: number[] = [];
      const consumer = await backend.consume({
        queue,
        group,
        batchSize: options.batchSize ?? 10,
        concurrency: options.concurrency ?? 1,
        handler: async (batch, context) => {
          deliveries.push(...batch);
          batches.push(batch.length);
          await options.handle?.(batch, context);
        },
      });
      return { deliveries, batches, consumer, payloads: () => deliveries.map((d) => d.payload) };
    };

    it('delivers every published message, in order, with its payload and key', async () => {
      await backend.publish(queue, messages(25));
      const { deliveries, consumer } = await collect();
      await waitFor('25 deliveries', () => deliveries.length >= 25);
      await consumer.close();
      expect(deliveries.map((d) => [d.payload, d.key])).toEqual(messages(25).map((m) => [m.payload, m.key]));
      expect(new Set(deliveries.map((d) => d.id)).size).toBe(25);
      expect(deliveries.every((d) => d.deliveryCount === 1)).toBe(true);
    });

    it('delivers messages published after the consumer started, and treats an empty publish as a no-op', async () => {
      const { payloads, consumer } = await collect();
      await backend.publish(queue, []);
      await backend.publish(queue, messages(3, 'late'));
      await waitFor('3 deliveries', () => payloads().length >= 3);
      await consumer.close();
      expect(payloads()).toEqual(['late-0', 'late-1', 'late-2']);
    });

    it('never hands a handler more than batchSize messages', async () => {
      await backend.publish(queue, messages(57));
      const { batches, deliveries, consumer } = await collect({ batchSize: 8 });
      await waitFor('57 deliveries', () => deliveries.length >= 57);
      await consumer.close();
      expect(Math.max(...batches)).toBeLessThanOrEqual(8);
      expect(batches.reduce((a, b) => a + b, 0)).toBe(57);
    });

    it('does not redeliver acknowledged messages to the next consumer of the group', async () => {
      await backend.publish(queue, messages(5, 'first'));
      const first = await collect();
      await waitFor('5 deliveries', () => first.deliveries.length >= 5);
      await first.consumer.close();
      await backend.publish(queue, messages(1, 'marker'));
      const second = await collect();
      await waitFor('the marker', () => second.payloads().includes('marker-0'));
      await delay(300);
      await second.consumer.close();
      expect(second.payloads()).toEqual(['marker-0']);
    });

    it('redelivers a batch whose handler failed', async () => {
      await backend.publish(queue, messages(3, 'retry'));
      let failuresLeft = 1;
      const { deliveries, consumer } = await collect({
        handle: async () => {
          if (failuresLeft-- > 0) throw new Error('handler failed on purpose');
        },
      });
      await waitFor('the failed batch to come again', () => deliveries.filter((d) => d.payload === 'retry-0').length >= 2, target.redeliveryWithinMs + 5_000);
      await consumer.close();
      const again = deliveries.filter((d) => d.payload === 'retry-0');
      if (target.countsDeliveries) expect(again.map((d) => d.deliveryCount)).toEqual([1, 2]);
    });

    it('gives the messages of a consumer that died without acknowledging to another consumer', async () => {
      // More than one of the survivor's batches: a dead consumer's whole holding must come back.
      await backend.publish(queue, messages(30, 'orphan'));
      const doomed = await target.startDoomedConsumer(backend, { queue, group, hold: 30 });
      expect([...doomed.received].sort()).toEqual(messages(30, 'orphan').map((m) => m.payload).sort());
      await doomed.kill();
      const survivor = await collect({ batchSize: 5, concurrency: 2 });
      await waitFor('the dead consumer\'s messages', () => survivor.deliveries.length >= 30, target.redeliveryWithinMs + 10_000);
      await survivor.consumer.close();
      expect([...survivor.payloads()].sort()).toEqual([...doomed.received].sort());
      if (target.countsDeliveries) expect(survivor.deliveries.every((d) => d.deliveryCount >= 2)).toBe(true);
    });

    it('runs at most `concurrency` handlers at once', async () => {
      await backend.publish(queue, messages(12));
      let running = 0;
      let peak = 0;
      const { deliveries, consumer } = await collect({
        batchSize: 1,
        concurrency: 3,
        handle: async () => {
          peak = Math.max(peak, ++running);
          await delay(40);
          running--;
        },
      });
      await waitFor('12 deliveries', () => deliveries.length >= 12);
      await consumer.close();
      expect(peak).toBeLessThanOrEqual(3);
      // Kafka parallelises across partitions only; this queue has one.
      expect(peak).toBeGreaterThanOrEqual(backend.kind === 'kafka' ? 1 : 2);
    });

    it('stops delivering while paused and resumes where it stopped', async () => {
      const { payloads, consumer } = await collect();
      await backend.publish(queue, messages(2, 'before'));
      await waitFor('2 deliveries', () => payloads().length >= 2);
      consumer.pause();
      expect(consumer.paused).toBe(true);
      await delay(backend.kind === 'kafka' ? 500 : 100); // let a fetch in progress settle
      const seen = payloads().length;
      await backend.publish(queue, messages(2, 'during'));
      await delay(1_500);
      expect(payloads().length).toBe(seen);
      consumer.resume();
      await waitFor('deliveries after resume', () => payloads().includes('during-1'));
      await consumer.close();
      expect(payloads()).toEqual(['before-0', 'before-1', 'during-0', 'during-1']);
    });

    it('reports what waits in the backlog, and how many were ever added', async () => {
      expect((await backend.backlog(queue, group)).added).toBe(0);
      await backend.publish(queue, messages(4));
      await waitFor('a backlog of 4', async () => (await backend.backlog(queue, group)).waiting === 4);
      expect((await backend.backlog(queue, group)).added).toBe(4);
      const { deliveries, consumer } = await collect();
      await waitFor('4 deliveries', () => deliveries.length >= 4);
      await consumer.close();
      await waitFor('an empty backlog', async () => {
        const backlog = await backend.backlog(queue, group);
        return backlog.waiting === 0 && backlog.inFlight === 0;
      });
      expect((await backend.backlog(queue, group)).added).toBe(4); // consumed and deleted, still counted
    });

    it('lets a running handler finish on close and acknowledges its batch; close is idempotent', async () => {
      await backend.publish(queue, messages(1, 'slow'));
      let finished = false;
      let started = false;
      const { consumer } = await collect({
        handle: async () => {
          started = true;
          await delay(300);
          finished = true;
        },
      });
      await waitFor('the handler to start', () => started);
      await Promise.all([consumer.close(), consumer.close()]);
      expect(finished).toBe(true);
      await consumer.close();
      const next = await collect();
      await backend.publish(queue, messages(1, 'after'));
      await waitFor('the next message', () => next.payloads().includes('after-0'));
      await delay(Math.min(target.redeliveryWithinMs, 2_000));
      await next.consumer.close();
      expect(next.payloads()).toEqual(['after-0']);
    });

    it('a closing consumer hands its unacknowledged batches back at once', async () => {
      const backendWithLongLeases = await target.handBack.createBackend();
      const handQueue = uniqueName('q');
      createdQueues.push(handQueue);
      const isHeld = (delivery: Delivery): boolean => delivery.payload.startsWith('held');
      const held: Delivery[] = [];
      const other: Delivery[] = [];
      let closingSawWarmUp = false;
      const consumers: QueueConsumer[] = [];
      try {
        // Two partitions: on Kafka each consumer then owns one, and neither is idle.
        await backendWithLongLeases.ensureQueue(handQueue, { partitions: 2 });
        const closing = await backendWithLongLeases.consume({
          queue: handQueue,
          group,
          batchSize: 5,
          concurrency: 2,
          // Acknowledges warm-up messages; holds a batch with real ones until closing, then gives up on it.
          handler: async (batch, { signal }) => {
            if (!batch.some(isHeld)) {
              closingSawWarmUp = true;
              return;
            }
            held.push(...batch.filter(isHeld));
            if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
            throw new Error('closing: batch not handled');
          },
        });
        consumers.push(closing);
        consumers.push(await backendWithLongLeases.consume({ queue: handQueue, group, batchSize: 5, handler: async (batch) => void other.push(...batch) }));
        // Both consumers take messages (on Kafka: both joined, each with a partition) before the real ones come.
        let round = 0;
        await waitFor('both consumers to take warm-up messages', async () => {
          await backendWithLongLeases.publish(handQueue, messages(4, `warm${round++}`));
          return closingSawWarmUp && other.length > 0;
        }, 30_000, 250);
        // Whichever consumer reads first takes a burst: publish until the closing one holds some.
        const real: { payload: string; key: string }[] = [];
        await waitFor('the closing consumer to hold messages', async () => {
          const more = Array.from({ length: 4 }, (_, i) => ({ payload: `held-${real.length + i}`, key: `held-${real.length + i}` }));
          real.push(...more);
          await backendWithLongLeases.publish(handQueue, more);
          await delay(100);
          return held.length > 0;
        }, 10_000, 100);
        await delay(500);
        const heldPayloads = new Set(held.map((d) => d.payload));
        expect(other.filter((d) => heldPayloads.has(d.payload))).toEqual([]);

        const closedAt = Date.now();
        await closing.close();
        await waitFor(`the other consumer to receive what the closing one held, within ${target.handBack.withinMs} ms`, () => real.every((m) => other.some((d) => d.payload === m.payload)), target.handBack.withinMs);
        const handedBackMs = Date.now() - closedAt;
        console.info(`[queue conformance: ${target.name}] what a closing consumer held reached another consumer ${handedBackMs} ms after close`);
        expect(handedBackMs).toBeLessThan(target.handBack.withinMs);
        // Handed back, not published again: the delivery count goes on.
        if (target.countsDeliveries) expect(other.filter((d) => heldPayloads.has(d.payload)).map((d) => d.deliveryCount)).toEqual([...heldPayloads].map(() => 2));
        await waitFor('nothing waiting or in flight', async () => {
          const backlog = await backendWithLongLeases.backlog(handQueue, group);
          return backlog.waiting === 0 && backlog.inFlight === 0;
        });
      } finally {
        await Promise.allSettled(consumers.map((consumer) => consumer.close()));
        await backendWithLongLeases.close();
      }
    });

    it('refuses to publish after close, with QUEUE_CLOSED', async () => {
      await backend.close();
      await backend.close();
      const error = await backend.publish(queue, messages(1)).then(() => undefined, (e: unknown) => e);
      expect(isParcError(error, 'QUEUE_CLOSED')).toBe(true);
    });

    it('splits the messages of a group between its consumers without duplicates', async () => {
      const a = await collect({ batchSize: 5 });
      const b = await collect({ batchSize: 5 });
      await backend.publish(queue, messages(40));
      await waitFor('40 deliveries', () => a.deliveries.length + b.deliveries.length >= 40);
      await delay(200);
      await Promise.all([a.consumer.close(), b.consumer.close()]);
      expect([...a.payloads(), ...b.payloads()].sort()).toEqual(messages(40).map((m) => m.payload).sort());
      // A one-partition Kafka topic has one active consumer per group; the others stand by.
      if (backend.kind !== 'kafka') expect(Math.min(a.deliveries.length, b.deliveries.length)).toBeGreaterThan(0);
    });

    if (target.delayed) describeDelayedConformance(target.delayed, () => ({ backend, queue, group }));
  });
}

function describeDelayedConformance(delayedFor: (backend: QueueBackend) => DelayedQueueFactory, current: () => { backend: QueueBackend; queue: string; group: string }): void {
  describe('delayed sets', () => {
    const drain = async (backend: QueueBackend, queue: string, group: string, count: number): Promise<Delivery[]> => {
      const got: Delivery[] = [];
      const consumer: QueueConsumer = await backend.consume({ queue, group, batchSize: 50, handler: async (batch) => void got.push(...batch) });
      await waitFor(`${count} promoted messages`, () => got.length >= count);
      await delay(100);
      await consumer.close();
      return got;
    };

    it('promotes only due items, oldest due first, keyed by item id, in batches of at most `limit`', async () => {
      const { backend, queue, group } = current();
      const delayed = delayedFor(backend).delayedQueue(`${queue}:delayed`, queue);
      await delayed.schedule([
        { id: 'c', payload: 'due-at-300', dueAtMs: 300 },
        { id: 'a', payload: 'due-at-100', dueAtMs: 100 },
        { id: 'd', payload: 'due-at-900', dueAtMs: 900 },
        { id: 'b', payload: 'due-at-200', dueAtMs: 200 },
      ]);
      expect(await delayed.size()).toBe(4);
      expect(await delayed.countDueBy(250)).toBe(2);
      expect(await delayed.promoteDue(50, 10)).toBe(0);
      expect(await delayed.promoteDue(500, 2)).toBe(2);
      expect(await delayed.promoteDue(500, 2)).toBe(1);
      expect(await delayed.size()).toBe(1);
      const promoted = await drain(backend, queue, group, 3);
      expect(promoted.map((d) => [d.payload, d.key])).toEqual([
        ['due-at-100', 'a'],
        ['due-at-200', 'b'],
        ['due-at-300', 'c'],
      ]);
    });

    it('replaces an item scheduled again under the same id, and removes items by id', async () => {
      const { backend, queue, group } = current();
      const delayed = delayedFor(backend).delayedQueue(`${queue}:delayed`, queue);
      await delayed.schedule([{ id: 'x', payload: 'first', dueAtMs: 100 }]);
      await delayed.schedule([
        { id: 'x', payload: 'second', dueAtMs: 150 },
        { id: 'y', payload: 'cancelled', dueAtMs: 100 },
      ]);
      expect(await delayed.remove(['y', 'unknown'])).toBe(1);

      expect(await delayed.size()).toBe(1);
      expect(await delayed.promoteDue(1_000, 10)).toBe(1);
      const promoted = await drain(backend, queue, group, 1);
      expect(promoted.map((d) => d.payload)).toEqual(['second']);
      expect(await delayed.size()).toBe(0);
    });

    it('brings waiting items forward, never back', async () => {
      const { backend, queue } = current();
      const delayed = delayedFor(backend).delayedQueue(`${queue}:delayed`, queue);
      await delayed.schedule([
        { id: 'late', payload: 'late', dueAtMs: 5_000 },
        { id: 'early', payload: 'early', dueAtMs: 100 },
      ]);
      expect(await delayed.expedite(['late', 'early', 'unknown'], 1_000)).toBe(1);
      expect(await delayed.countDueBy(999)).toBe(1);
      expect(await delayed.countDueBy(1_000)).toBe(2);
    });
  });
}

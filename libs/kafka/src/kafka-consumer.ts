import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { errorBackoffMs, resolveConsumeOptions, sleep, type ConsumeOptions, type Delivery, type QueueConsumer } from '@parc/queue';

export interface KafkaConsumerSettings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly fetchMaxWaitMs: number;
  /** Longest wait for a group join before consume() gives up. */
  readonly joinTimeoutMs: number;
}

/**
 * Starts a consumer-group member on one topic. Offsets are committed only after the handler has
 * resolved, i.e. after its output is durable; a failed chunk is re-fetched from its first offset.
 */
export async function startKafkaConsumer(kafka: Kafka, options: ConsumeOptions, settings: KafkaConsumerSettings): Promise<QueueConsumer> {
  const resolved = resolveConsumeOptions(options);
  const { queue: topic, group } = resolved;
  const closing = new AbortController();
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    allowAutoTopicCreation: false,
    // An idle fetch waits this long at the broker. kafkajs's 5 s default also delays rejoining
    // after a rebalance and refetching after a seek; a short wait costs only idle requests.
    maxWaitTimeInMs: settings.fetchMaxWaitMs,
  });
  let paused = false;
  let failures = 0;

  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, isRunning, isStale, heartbeat, resolveOffset, commitOffsetsIfNecessary } = payload;
    const messages = batch.messages;
    for (let start = 0; start < messages.length; start += resolved.batchSize) {
      if (!isRunning() || isStale() || closing.signal.aborted) return;
      const chunk = messages.slice(start, start + resolved.batchSize);
      const first = chunk[0] as KafkaMessage;
      if (paused) {
        // kafkajs stops fetching a paused topic but finishes the batch in hand; send the rest of
        // it back so that no handler starts while paused.
        consumer.seek({ topic, partition: batch.partition, offset: first.offset });
        return;
      }
      const last = chunk[chunk.length - 1] as KafkaMessage;
      const deliveries = chunk.map((message) => toDelivery(batch.partition, message));
      // A long handler must not cost the partition: heartbeats keep the membership alive.
      const keepAlive = setInterval(() => heartbeat().catch(() => undefined), settings.heartbeatIntervalMs);
      try {
        await resolved.handler(deliveries, { signal: closing.signal });
      } catch (error) {
        resolved.onError?.(error, deliveries);
        await sleep(errorBackoffMs(++failures), closing.signal);
        // Seeking back makes the next fetch start at this chunk again and drops prefetched data.
        consumer.seek({ topic, partition: batch.partition, offset: first.offset });
        return;
      } finally {
        clearInterval(keepAlive);
      }
      failures = 0;
      resolveOffset(last.offset);
      // The payload's commit, unlike consumer.commitOffsets(), still commits while the consumer
      // is stopping: a handler that finished during close() must not be redelivered.
      const offset = (BigInt(last.offset) + 1n).toString();
      await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset }] }] });
    }
  };

  try {
    await consumer.connect();
    const joined = waitForJoin(consumer, settings.joinTimeoutMs);
    // fromBeginning: a new group must also get what was published before it existed.
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: resolved.concurrency,
      eachBatch,
    });
    await joined;
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    queue: topic,
    group,
    get paused() {
      return paused;
    },
    pause: () => {
      paused = true;
      consumer.pause([{ topic }]);
    },
    resume: () => {
      paused = false;
      consumer.resume([{ topic }]);
    },
    close: () => {
      if (!closed) {
        closing.abort();
        // disconnect() waits for the running eachBatch, then leaves the group.
        closed = consumer.disconnect();
      }
      return closed;
    },
  };
}

function toDelivery(partition: number, message: KafkaMessage): Delivery {
  const id = `${partition}:${message.offset}`;
  const payload = message.value?.toString('utf8') ?? '';
  const key = message.key?.toString('utf8');
  return key === undefined ? { id, payload, deliveryCount: 1 } : { id, payload, key, deliveryCount: 1 };
}

function waitForJoin(consumer: Consumer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      remove();
      reject(new Error(`Kafka consumer did not join its group within ${timeoutMs} ms`));
    }, timeoutMs);
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      clearTimeout(timer);
      remove();
      resolve();
    });
  });
}

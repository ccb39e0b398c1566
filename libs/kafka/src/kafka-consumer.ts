import type { Consumer, ConsumerCrashEvent, ConsumerGroupJoinEvent, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { errorBackoffMs, resolveConsumeOptions, sleep, type ConsumeOptions, type Delivery, type QueueConsumer, type QueueLogger } from '@parc/queue';

export interface KafkaConsumerSettings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly fetchMaxWaitMs: number;
  readonly logger: QueueLogger;
}

type ResolvedOptions = ReturnType<typeof resolveConsumeOptions>;

/** What the batch handler and the member's supervisor share. */
interface ConsumerState {
  paused: boolean;
  failures: number;
  readonly closing: AbortController;
}

/**
 * Starts a consumer-group member on one topic. Offsets are committed only after the handler has
 * resolved, i.e. after its output is durable; a failed chunk is re-fetched from its first offset.
 *
 * Resolves once the member is connected and subscribed, without waiting for the group join: a
 * restarted process joins a group that may still hold its killed predecessor until that member's
 * session times out, and waiting for that inside a start-up limit is what made stages crash-loop.
 * The join, and every rejoin after a rebalance or a broker restart, happens in the background;
 * a member that kafkajs gives up on (a crash it does not restart) is replaced here.
 */
export async function startKafkaConsumer(kafka: Kafka, options: ConsumeOptions, settings: KafkaConsumerSettings): Promise<QueueConsumer> {
  const resolved = resolveConsumeOptions(options);
  const state: ConsumerState = { paused: false, failures: 0, closing: new AbortController() };
  let member = await startMember(kafka, resolved, settings, state);
  let replacing: Promise<void> | undefined;

  // kafkajs restarts a member after retriable crashes; after any other it stops for good.
  const replaceWhenAbandoned = (consumer: Consumer): void => {
    consumer.on(consumer.events.CRASH, (event: ConsumerCrashEvent) => {
      if (event.payload.restart || state.closing.signal.aborted || consumer !== member) return;
      settings.logger.warn({ err: event.payload.error, topic: resolved.queue, group: resolved.group }, 'Kafka consumer stopped after an error; starting a new one');
      replacing = (async () => {
        for (let attempt = 1; !state.closing.signal.aborted; attempt++) {
          await sleep(errorBackoffMs(attempt, 500, 5_000), state.closing.signal);
          if (state.closing.signal.aborted) return;
          try {
            member = await startMember(kafka, resolved, settings, state);
            replaceWhenAbandoned(member);
            return;
          } catch (error) {
            settings.logger.warn({ err: error, topic: resolved.queue, group: resolved.group, attempt }, 'could not start a new Kafka consumer yet; retrying');
          }
        }
      })();
    });
  };
  replaceWhenAbandoned(member);

  let closed: Promise<void> | undefined;
  return {
    queue: resolved.queue,
    group: resolved.group,
    get paused() {
      return state.paused;
    },
    pause: () => {
      state.paused = true;
      member.pause([{ topic: resolved.queue }]);
    },
    resume: () => {
      state.paused = false;
      member.resume([{ topic: resolved.queue }]);
    },
    close: () => {
      if (!closed) {
        state.closing.abort();
        // disconnect() waits for the running eachBatch, then leaves the group.
        closed = (async () => {
          await replacing;
          await member.disconnect();
        })();
      }
      return closed;
    },
  };
}

/** Creates, connects and subscribes one kafkajs consumer, and sets it running (joining in the background). */
async function startMember(kafka: Kafka, resolved: ResolvedOptions, settings: KafkaConsumerSettings, state: ConsumerState): Promise<Consumer> {
  const { queue: topic, group } = resolved;
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    allowAutoTopicCreation: false,
    // An idle fetch waits this long at the broker. kafkajs's 5 s default also delays rejoining
    // after a rebalance and refetching after a seek; a short wait costs only idle requests.
    maxWaitTimeInMs: settings.fetchMaxWaitMs,
    // A member that gives up while the broker is away (kafkajs "crashes" it after its retries)
    // comes back as a new member, and the broker, which reloads the group with the old member in
    // it, holds the new one's join until the old one's session expires. Retrying without end
    // (every 2 s at most) keeps the member id, so a broker that returns takes it back at once.
    retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: Number.MAX_SAFE_INTEGER },
  });
  const startedAt = Date.now();
  consumer.on(consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) => {
    // A member kafkajs restarted after a crash comes back unpaused: pause it again.
    if (state.paused) consumer.pause([{ topic }]);
    const partitions = event.payload.memberAssignment[topic] ?? [];
    settings.logger.info({ topic, group, partitions, joinMs: event.payload.duration, sinceStartMs: Date.now() - startedAt }, `joined consumer group ${group}`);
  });
  try {
    await consumer.connect();
    // fromBeginning: a new group must also get what was published before it existed.
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  // run() resolves once joined (or crashed, after which kafkajs retries or the CRASH event
  // replaces the member): not awaited, see startKafkaConsumer.
  consumer
    .run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: resolved.concurrency,
      eachBatch: batchHandler(consumer, resolved, settings, state),
    })
    .catch((error: unknown) => settings.logger.warn({ err: error, topic, group }, 'Kafka consumer could not run'));
  if (state.paused) consumer.pause([{ topic }]);
  return consumer;
}

/** kafkajs's eachBatch: the batch in chunks of `batchSize`, each handled, then its offset committed. */
function batchHandler(consumer: Consumer, resolved: ResolvedOptions, settings: KafkaConsumerSettings, state: ConsumerState) {
  const topic = resolved.queue;
  return async (payload: EachBatchPayload): Promise<void> => {
    const { batch, isRunning, isStale, heartbeat, resolveOffset, commitOffsetsIfNecessary } = payload;
    const messages = batch.messages;
    for (let start = 0; start < messages.length; start += resolved.batchSize) {
      if (!isRunning() || isStale() || state.closing.signal.aborted) return;
      const chunk = messages.slice(start, start + resolved.batchSize);
      const first = chunk[0] as KafkaMessage;
      if (state.paused) {
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
        await resolved.handler(deliveries, { signal: state.closing.signal });
      } catch (error) {
        resolved.onError?.(error, deliveries);
        await sleep(errorBackoffMs(++state.failures), state.closing.signal);
        // Seeking back makes the next fetch start at this chunk again and drops prefetched data.
        consumer.seek({ topic, partition: batch.partition, offset: first.offset });
        return;
      } finally {
        clearInterval(keepAlive);
      }
      state.failures = 0;
      resolveOffset(last.offset);
      // The payload's commit, unlike consumer.commitOffsets(), still commits while the consumer
      // is stopping: a handler that finished during close() must not be redelivered.
      const offset = (BigInt(last.offset) + 1n).toString();
      await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset }] }] });
    }
  };
}

function toDelivery(partition: number, message: KafkaMessage): Delivery {
  const id = `${partition}:${message.offset}`;
  const payload = message.value?.toString('utf8') ?? '';
  const key = message.key?.toString('utf8');
  return key === undefined ? { id, payload, deliveryCount: 1 } : { id, payload, key, deliveryCount: 1 };
}

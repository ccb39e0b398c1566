import { Admin, Consumer, ProduceAcks, Producer, stringSerializer, type Message } from '@platformatic/kafka';
import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { incidentCounter, WORK, type ClientUnderTest } from '../types';

/**
 * @platformatic/kafka with its stream consumer. The stream hands out single messages; a "batch"
 * here is what one fetch response pushed: the stream pushes all of a response's messages in one
 * synchronous loop, so a setImmediate scheduled at the first message sees the whole batch.
 */
export async function startPlatformatic(brokers: string): Promise<ClientUnderTest> {
  const base = { clientId: 'bench-platformatic', bootstrapBrokers: brokers.split(',') };
  const admin = new Admin(base);
  // acks must be set: without `idempotent` the producer's default is LEADER (1), not ALL.
  const producer = new Producer({ ...base, acks: ProduceAcks.ALL, autocreateTopics: false, serializers: { key: stringSerializer } });
  const consumers: Consumer[] = [];
  const { counts, note, stop } = incidentCounter('@platformatic/kafka');
  producer.on('client:broker:disconnect', (payload) => note('disconnect (producer)', payload.broker));
  // Not in the typed events: emitted before each retry of an operation (args: operation, attempt).
  (producer as unknown as EventEmitter).on('client:performWithRetry:retry', (operation: string, attempt: number) => note(`retry (producer ${operation})`, { attempt }));

  return {
    name: '@platformatic/kafka',
    settings: {
      producer: 'new Producer({ acks: ProduceAcks.ALL }) (the default is LEADER = 1 unless idempotent); send() per batch; idempotent off; no compression; default partitioner (murmur2 of the key); no linger (send() writes at once)',
      consumer: 'consume() stream, autocommit false; per fetched batch: handle, then message.commit() of each partition\'s last message, awaited with the stream paused',
      fetch: `maxWaitTime ${WORK.fetchMaxWaitMs}, minBytes 1, maxBytes ${WORK.fetchMaxBytes}, maxBytesPerPartition ${WORK.fetchMaxBytesPerPartition}, isolationLevel READ_COMMITTED, highWaterMark 1024 (default)`,
      group: `classic protocol (roundrobin), sessionTimeout ${WORK.sessionTimeoutMs}, heartbeatInterval ${WORK.heartbeatIntervalMs}, mode 'committed' + fallbackMode 'earliest'`,
      socket: 'TCP_NODELAY (the client sets it itself)',
    },
    incidents: counts,

    async createTopic(topic, partitions) {
      await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
      // createTopics returns once the controller created it; producing before the partitions have
      // a leader in the broker's metadata costs the producer a retry (1 s by default).
      for (let attempt = 0; attempt < 100; attempt++) {
        const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
        const found = metadata.topics.get(topic)?.partitions ?? [];
        if (found.length === partitions && found.every((partition) => partition.leader >= 0)) return;
        await sleep(50);
      }
      throw new Error(`topic ${topic}: partitions without a leader after 5 s`);
    },

    async send(topic, records) {
      await producer.send({ messages: records.map((record) => ({ topic, key: record.key, value: record.value })) });
    },

    async consume(topic, group, partitions, handle, onError) {
      const consumer = new Consumer({
        ...base,
        groupId: group,
        autocommit: false,
        sessionTimeout: WORK.sessionTimeoutMs,
        heartbeatInterval: WORK.heartbeatIntervalMs,
        maxWaitTime: WORK.fetchMaxWaitMs,
        maxBytes: WORK.fetchMaxBytes,
        maxBytesPerPartition: WORK.fetchMaxBytesPerPartition,
      });
      consumers.push(consumer);
      let joins = 0;
      consumer.on('consumer:group:join', (payload) => ++joins > 1 && note('rejoin', payload.assignments));
      consumer.on('consumer:group:rebalance', () => note('rebalance'));
      consumer.on('consumer:heartbeat:error', (payload) => note('heartbeat error', payload.error));
      consumer.on('client:broker:disconnect', (payload) => note('disconnect (consumer)', payload.broker));
      // consume() joins the group first and resolves with the stream once assigned.
      const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest' });
      const owned = consumer.assignments?.find((assignment) => assignment.topic === topic)?.partitions.length ?? 0;
      if (owned !== partitions) throw new Error(`the member owns ${owned} of ${partitions} partitions after joining`);

      let batch: Message[] = [];
      const handleBatch = (): void => {
        const handled = batch;
        batch = [];
        handle(handled.map((message) => ({ partition: message.partition, offset: Number(message.offset), value: message.value })));
        const lastOfPartition = new Map<number, Message>();
        for (const message of handled) lastOfPartition.set(message.partition, message);
        // Paused, the stream emits nothing more until the commit is acknowledged (the fetch
        // already in flight still lands, in the stream's buffer).
        stream.pause();
        Promise.all([...lastOfPartition.values()].map((message) => message.commit())).then(() => stream.resume(), onError);
      };
      stream.on('data', (message: Message) => {
        if (batch.length === 0) setImmediate(handleBatch);
        batch.push(message);
      });
      stream.on('error', onError);
      stream.on('autocommit', (error) => error && note('commit error', error));
      // After the first load, the stream re-reads its offsets from the group (after a rejoin or a
      // fetch error): what was handled but not yet committed comes again.
      let offsetLoads = 0;
      stream.on('offsets', () => ++offsetLoads > 1 && note('offsets reloaded'));
    },

    async close() {
      stop();
      // close(true) also closes the consumer's streams.
      await Promise.all(consumers.map((consumer) => consumer.close(true)));
      await Promise.all([producer.close(), admin.close()]);
    },
  };
}

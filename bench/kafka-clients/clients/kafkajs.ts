import { connect } from 'node:net';
import { Kafka, logLevel, Partitioners, type Consumer, type ISocketFactory } from 'kafkajs';
import { incidentCounter, WORK, type ClientUnderTest } from '../types';

/**
 * Nagle off, as Parc's kafkajs backend had it: with kafkajs's default socket a commit or heartbeat
 * written behind a parked fetch waits for the broker's delayed ACK (40 ms stalls).
 */
const noDelaySocket: ISocketFactory = ({ host, port, onConnect }) => {
  const socket = connect({ host, port, noDelay: true }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/** kafkajs 2.x the way Parc's kafkajs backend used it: eachBatch, no auto-commit, commit after the handler. */
export async function startKafkajs(brokers: string): Promise<ClientUnderTest> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: brokers.split(','), logLevel: logLevel.WARN, socketFactory: noDelaySocket });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([admin.connect(), producer.connect()]);
  const consumers: Consumer[] = [];
  const { counts, note, stop } = incidentCounter('kafkajs');
  producer.on(producer.events.REQUEST_TIMEOUT, (event) => note('request timeout (producer)', event.payload));

  return {
    name: 'kafkajs',
    settings: {
      producer: 'send({ acks: -1 }) per batch; idempotent off; no compression; DefaultPartitioner (murmur2 of the key); no linger (kafkajs has none)',
      consumer: `eachBatch, autoCommit false, eachBatchAutoResolve false, partitionsConsumedConcurrently ${WORK.partitions}; commitOffsetsIfNecessary({ offset: last + 1 }) awaited after the handler`,
      fetch: `maxWaitTimeInMs ${WORK.fetchMaxWaitMs}, minBytes 1, maxBytes ${WORK.fetchMaxBytes}, maxBytesPerPartition ${WORK.fetchMaxBytesPerPartition}, readUncommitted false`,
      group: `classic protocol, sessionTimeout ${WORK.sessionTimeoutMs}, heartbeatInterval ${WORK.heartbeatIntervalMs}, subscribe fromBeginning`,
      socket: 'TCP_NODELAY (socketFactory, as in Parc), keep-alive 60 s',
    },
    incidents: counts,

    async createTopic(topic, partitions) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    },

    async send(topic, records) {
      await producer.send({ topic, acks: -1, messages: records.map((record) => ({ key: record.key, value: record.value })) });
    },

    async consume(topic, group, partitions, handle, onError) {
      const consumer = kafka.consumer({
        groupId: group,
        sessionTimeout: WORK.sessionTimeoutMs,
        heartbeatInterval: WORK.heartbeatIntervalMs,
        maxWaitTimeInMs: WORK.fetchMaxWaitMs,
        maxBytes: WORK.fetchMaxBytes,
        maxBytesPerPartition: WORK.fetchMaxBytesPerPartition,
        allowAutoTopicCreation: false,
      });
      consumers.push(consumer);
      let joins = 0;
      const assigned = new Promise<void>((resolve) => {
        consumer.on(consumer.events.GROUP_JOIN, (event) => {
          if (++joins > 1) note('rejoin', { partitions: event.payload.memberAssignment[topic] });
          if ((event.payload.memberAssignment[topic]?.length ?? 0) === partitions) resolve();
        });
      });
      consumer.on(consumer.events.REBALANCING, () => note('rebalance'));
      consumer.on(consumer.events.REQUEST_TIMEOUT, (event) => note('request timeout (consumer)', event.payload));
      consumer.on(consumer.events.CRASH, (event) => {
        note('crash', event.payload.error);
        onError(event.payload.error);
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: partitions,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
            const last = batch.messages[batch.messages.length - 1];
            if (!last) return;
            handle(batch.messages.flatMap((message) => (message.value ? [{ partition: batch.partition, offset: Number(message.offset), value: message.value }] : [])));
            resolveOffset(last.offset);
            const offset = (BigInt(last.offset) + 1n).toString();
            await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset }] }] });
          },
        })
        .catch(onError);
      await assigned;
    },

    async close() {
      stop();
      await Promise.all(consumers.map((consumer) => consumer.disconnect()));
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    },
  };
}

import { startParcIncoming } from '@parc/pipeline';
import { field, type ConfigOf, type ServiceApp } from '@parc/service-kit';
import { parcNames } from '@parc/topology';
import type { InjectedBackends } from '../backends';
import { commonSpec, namespaceOf, connectKafka, connectRedis, kafkaSpec, parcRedisSpec } from '../infrastructure';
import { appTracing, tracingSpec } from '../tracing';
import { manageStage, watch } from '../lifecycle';
import { kafkaPartitionsSpec } from './shared';

export const parcIncomingSpec = {
  ...commonSpec,
  ...tracingSpec,
  ...parcRedisSpec,
  ...kafkaSpec,
  ...kafkaPartitionsSpec,
  incomingBatchSize: field.integer({ env: 'INCOMING_BATCH_SIZE', default: 500, min: 1, max: 10_000, description: 'Kafka messages written to ready per batch.' }),
  readyHighWatermark: field.integer({
    env: 'READY_HIGH_WATERMARK',
    default: 20_000,
    min: 1,
    description: 'Incoming stops consuming Kafka while this many envelopes wait in ready (backpressure), and resumes at half.',
  }),
};

export type ParcIncomingConfig = ConfigOf<typeof parcIncomingSpec>;

/** parc-incoming: the Parc's Kafka requests topic → its Redis `ready` (or delayed set). */
export function mountParcIncoming(app: ServiceApp, config: ParcIncomingConfig, injected: InjectedBackends = {}): void {
  const tracing = appTracing(app, config, 'parc-incoming');
  const ns = namespaceOf(config);
  const names = parcNames(config.parcId, ns);
  const parcRedis = injected.parcRedis ?? connectRedis(config.parcRedisUrl, `parc-incoming.${config.parcId}`, config, app.log);
  const kafka = injected.kafka ?? connectKafka(config, `parc-incoming.${config.parcId}`, app.log);
  manageStage(app, {
    name: 'parc-incoming',
    backends: {
      'parc-redis': { backend: parcRedis, owned: !injected.parcRedis },
      kafka: { backend: kafka, owned: !injected.kafka },
    },
    backlogs: [watch(kafka, names.requestsTopic, `parc-incoming.${config.parcId}`)],
    start: async () => {
      await kafka.ensureQueue(names.requestsTopic, { partitions: config.kafkaPartitions });
      return [
        await startParcIncoming({
          requests: kafka,
          parc: parcRedis,
          delayed: parcRedis.delayedQueue(names.delayed, names.due),
          names,
          batchSize: config.incomingBatchSize,
          // Every partition this member holds is consumed at once: one at a time, a batch waited
          // for the Redis write and the offset commit of the partitions before it (latency).
          concurrency: config.kafkaPartitions,
          highWatermark: config.readyHighWatermark,
          logger: app.log,
          registry: app.metrics,
          tracing,
        }),
      ];
    },
  });
}

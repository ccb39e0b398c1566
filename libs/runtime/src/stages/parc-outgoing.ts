import { startParcOutgoing } from '@parc/pipeline';
import { field, type ConfigOf, type ServiceApp } from '@parc/service-kit';
import { globalNames, parcNames } from '@parc/topology';
import type { InjectedBackends } from '../backends';
import { commonSpec, namespaceOf, activeParcsSpec, connectKafka, connectRedis, kafkaSpec, parcRedisSpec, proxyRedisSpec } from '../infrastructure';
import { appTracing, tracingSpec } from '../tracing';
import { manageStage, watch } from '../lifecycle';
import { PARC_RECORD_REFRESH_MS, startParcDirectory } from '../parc-directory';
import { kafkaPartitionsSpec } from './shared';

export const parcOutgoingSpec = {
  ...commonSpec,
  ...tracingSpec,
  ...parcRedisSpec,
  ...proxyRedisSpec,
  ...kafkaSpec,
  ...activeParcsSpec,
  ...kafkaPartitionsSpec,
  outgoingBatchSize: field.integer({ env: 'OUTGOING_BATCH_SIZE', default: 200, min: 1, max: 10_000, description: 'Envelopes from done per batch.' }),
  moverTickMs: field.duration({ env: 'MOVER_TICK_MS', default: 200, min: 10, description: 'How often due retries are moved from the delayed set back towards Kafka.' }),
};

export type ParcOutgoingConfig = ConfigOf<typeof parcOutgoingSpec>;

/** parc-outgoing: `done` → final results to Kafka `responses`; retries wait, then go back to Kafka. */
export function mountParcOutgoing(app: ServiceApp, config: ParcOutgoingConfig, injected: InjectedBackends = {}): void {
  const tracing = appTracing(app, config, 'parc-outgoing');
  const ns = namespaceOf(config);
  const names = parcNames(config.parcId, ns);
  const global = globalNames(ns);
  const parcRedis = injected.parcRedis ?? connectRedis(config.parcRedisUrl, `parc-outgoing.${config.parcId}`, config, app.log);
  const proxyRedis = injected.proxyRedis ?? connectRedis(config.proxyRedisUrl, `parc-outgoing.${config.parcId}`, config, app.log);
  const kafka = injected.kafka ?? connectKafka(config, `parc-outgoing.${config.parcId}`, app.log);
  manageStage(app, {
    name: 'parc-outgoing',
    backends: {
      'parc-redis': { backend: parcRedis, owned: !injected.parcRedis },
      'proxy-redis': { backend: proxyRedis, owned: !injected.proxyRedis },
      kafka: { backend: kafka, owned: !injected.kafka },
    },
    backlogs: [watch(parcRedis, names.done, 'parc-outgoing'), watch(parcRedis, names.due, 'parc-mover')],
    start: async () => {
      await kafka.ensureQueue(global.responsesTopic, { partitions: config.kafkaPartitions });
      for (const parcId of config.activeParcs) await kafka.ensureQueue(parcNames(parcId, ns).requestsTopic, { partitions: config.kafkaPartitions });
      const directory = await startParcDirectory(proxyRedis.parcRegistry(), config.activeParcs, PARC_RECORD_REFRESH_MS, app.log);
      return [
        await startParcOutgoing({
          parc: parcRedis,
          delayed: parcRedis.delayedQueue(names.delayed, names.due),
          kafka,
          ledger: proxyRedis.ledger({ retentionMs: config.ledgerRetentionMs }),
          names,
          responsesTopic: global.responsesTopic,
          activeParcIds: directory.activeIds,
          requestsTopicOf: (parcId) => parcNames(parcId, ns).requestsTopic,
          batchSize: config.outgoingBatchSize,
          moverTickMs: config.moverTickMs,
          logger: app.log,
          registry: app.metrics,
          tracing,
        }),
        directory,
      ];
    },
  });
}

import { startProxyStore } from '@parc/pipeline';
import { field, type ConfigOf, type ServiceApp } from '@parc/service-kit';
import { globalNames, parcNames } from '@parc/topology';
import type { InjectedBackends } from '../backends';
import { commonSpec, namespaceOf, activeParcsSpec, connectKafka, connectRedis, kafkaSpec, proxyRedisSpec } from '../infrastructure';
import { appTracing, tracingSpec } from '../tracing';
import { manageStage, watch } from '../lifecycle';
import { PARC_RECORD_REFRESH_MS, startParcDirectory } from '../parc-directory';
import { kafkaPartitionsSpec } from './shared';

export const proxyStoreSpec = {
  ...commonSpec,
  ...tracingSpec,
  ...proxyRedisSpec,
  ...kafkaSpec,
  ...activeParcsSpec,
  ...kafkaPartitionsSpec,
  proxyStoreBatchSize: field.integer({ env: 'PROXY_STORE_BATCH_SIZE', default: 500, min: 1, max: 10_000, description: 'Inbox entries moved to Kafka per batch (one Kafka request).' }),
  proxyStoreConcurrency: field.integer({ env: 'PROXY_STORE_CONCURRENCY', default: 2, min: 1, max: 64, description: 'Batches in flight.' }),
};

export type ProxyStoreConfig = ConfigOf<typeof proxyStoreSpec>;

/** proxy-store: the proxy's inbox → the Kafka requests topic of an active Parc. */
export function mountProxyStore(app: ServiceApp, config: ProxyStoreConfig, injected: InjectedBackends = {}): void {
  const tracing = appTracing(app, config, 'proxy-store');
  const ns = namespaceOf(config);
  const proxyRedis = injected.proxyRedis ?? connectRedis(config.proxyRedisUrl, 'proxy-store', config, app.log);
  const kafka = injected.kafka ?? connectKafka(config, 'proxy-store', app.log);
  manageStage(app, {
    name: 'proxy-store',
    backends: {
      'proxy-redis': { backend: proxyRedis, owned: !injected.proxyRedis },
      kafka: { backend: kafka, owned: !injected.kafka },
    },
    backlogs: [watch(proxyRedis, globalNames(ns).inbox, 'proxy-store')],
    start: async () => {
      for (const parcId of config.activeParcs) await kafka.ensureQueue(parcNames(parcId, ns).requestsTopic, { partitions: config.kafkaPartitions });
      const directory = await startParcDirectory(proxyRedis.parcRegistry(), config.activeParcs, PARC_RECORD_REFRESH_MS, app.log);
      return [
        await startProxyStore({
          inbox: proxyRedis,
          inboxQueue: globalNames(ns).inbox,
          requests: kafka,
          activeParcIds: directory.activeIds,
          requestsTopicOf: (parcId) => parcNames(parcId, ns).requestsTopic,
          batchSize: config.proxyStoreBatchSize,
          concurrency: config.proxyStoreConcurrency,
          logger: app.log,
          registry: app.metrics,
          tracing,
        }),
        directory,
      ];
    },
  });
}

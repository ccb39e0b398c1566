import { DestinationControl, startParcCaller } from '@parc/pipeline';
import { field, type ConfigOf, type ServiceApp } from '@parc/service-kit';
import { parcNames } from '@parc/topology';
import type { InjectedBackends } from '../backends';
import { commonSpec, namespaceOf, connectRedis, parcRedisSpec, proxyRedisSpec } from '../infrastructure';
import { appTracing, tracingSpec } from '../tracing';
import { manageStage, watch } from '../lifecycle';
import { callerMaxConcurrentPerHost, createHttpCaller, outboundSpec } from '../outbound';
import { destinationPolicy, destinationSpec, gateSettings } from '../destinations';

export const parcCallerSpec = {
  ...commonSpec,
  ...tracingSpec,
  ...parcRedisSpec,
  ...proxyRedisSpec,
  ...outboundSpec,
  maxConcurrentPerHost: callerMaxConcurrentPerHost,
  ...destinationSpec,
  callerBatchSize: field.integer({ env: 'CALLER_BATCH_SIZE', default: 8, min: 1, max: 1_000, description: 'Envelopes per batch from ready: small, so one slow call holds few others.' }),
  callerConcurrency: field.integer({
    env: 'CALLER_CONCURRENCY',
    default: 64,
    min: 1,
    max: 10_000,
    description: "Batches in flight; calls in flight per process are at most CALLER_BATCH_SIZE × CALLER_CONCURRENCY (the caller's parallelism).",
  }),
};

export type ParcCallerConfig = ConfigOf<typeof parcCallerSpec>;

/** parc-caller: `ready` → the HTTP call (egress policy, timeouts, body cap) → `done`. */
export function mountParcCaller(app: ServiceApp, config: ParcCallerConfig, injected: InjectedBackends = {}): void {
  const tracing = appTracing(app, config, 'parc-caller');
  const ns = namespaceOf(config);
  const names = parcNames(config.parcId, ns);
  const http = createHttpCaller(config, config.callerBatchSize * config.callerConcurrency);
  const policy = destinationPolicy(config);
  const parcRedis = injected.parcRedis ?? connectRedis(config.parcRedisUrl, `parc-caller.${config.parcId}`, config, app.log);
  const proxyRedis = injected.proxyRedis ?? connectRedis(config.proxyRedisUrl, `parc-caller.${config.parcId}`, config, app.log);
  manageStage(app, {
    name: 'parc-caller',
    backends: {
      'parc-redis': { backend: parcRedis, owned: !injected.parcRedis },
      'proxy-redis': { backend: proxyRedis, owned: !injected.proxyRedis },
      http: { backend: { ping: async () => undefined, close: () => http.close() }, owned: true },
    },
    backlogs: [watch(parcRedis, names.ready, 'parc-caller')],
    start: async () => [
      await startParcCaller({
        parc: parcRedis,
        names,
        ledger: proxyRedis.ledger({ retentionMs: config.ledgerRetentionMs }),
        http,
        destinations: {
          control: new DestinationControl({
            gate: proxyRedis.destinationGate({ settings: gateSettings(config) }),
            policy,
            logger: app.log,
            registry: app.metrics,
          }),
          delayed: parcRedis.delayedQueue(names.delayed, names.due),
        },
        batchSize: config.callerBatchSize,
        concurrency: config.callerConcurrency,
        logger: app.log,
        registry: app.metrics,
        tracing,
      }),
    ],
  });
}

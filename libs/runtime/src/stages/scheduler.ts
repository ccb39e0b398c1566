import { DEFAULT_SCALING_POLICY, type ScalingPolicy } from '@parc/scaling';
import { dryRunDriver, createControlLoop, pipelineSignals, type ClusterState, type DecisionEntry } from '@parc/scheduler';
import { field, type ConfigOf, type ServiceApp } from '@parc/service-kit';
import type { InjectedBackends } from '../backends';
import { activeParcsSpec, commonSpec, connectKafka, connectRedis, kafkaSpec, namespaceOf, parcRedisSpec, proxyRedisSpec } from '../infrastructure';
import { manageStage } from '../lifecycle';

export const schedulerSpec = {
  ...commonSpec,
  ...proxyRedisSpec,
  ...parcRedisSpec,
  ...kafkaSpec,
  ...activeParcsSpec,
  schedulerTickMs: field.duration({ env: 'SCHEDULER_TICK_MS', default: 1_000, min: 100, description: 'Time between two observe → decide → act rounds.' }),
  schedulerDriver: field.enum({
    env: 'SCHEDULER_DRIVER',
    values: ['dry-run'],
    default: 'dry-run',
    description: 'How plans are applied. dry-run: logged and recorded in the decision log, nothing changed (the local-process and Kubernetes drivers are not built yet).',
  }),
  schedulerCpuBudgetMillis: field.integer({ env: 'SCHEDULER_CPU_BUDGET_MILLIS', default: 2_000, min: 1, description: "CPU (millicores) Parc's stages may reserve in all, on one machine (dry-run and local drivers)." }),
  schedulerMemoryBudgetMiB: field.integer({ env: 'SCHEDULER_MEMORY_BUDGET_MIB', default: 4_096, min: 1, description: "Memory (MiB) Parc's stages may reserve in all, on one machine (dry-run and local drivers)." }),
  schedulerDecisionsKept: field.integer({ env: 'SCHEDULER_DECISIONS_KEPT', default: 600, min: 1, max: 100_000, description: 'Ticks the decision log keeps (GET /v1/scheduler/decisions).' }),
};

export type SchedulerConfig = ConfigOf<typeof schedulerSpec>;

/** What the dry-run driver reports running: one instance of every stage, ACTIVE_PARCS active. */
function dryRunState(config: SchedulerConfig): ClusterState {
  return {
    globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 },
    parcs: config.activeParcs.map((id) => ({ id, state: 'active', createdAtMs: 0, instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism: 64 })),
    capacity: { cpuMillis: config.schedulerCpuBudgetMillis, memoryMiB: config.schedulerMemoryBudgetMiB },
  };
}

/**
 * scheduler: the control loop (every SCHEDULER_TICK_MS: read every queue's backlog and arrivals,
 * decide with @parc/scaling, apply through the driver, record the tick in the decision log in
 * the proxy's Redis) and `GET /v1/scheduler/decisions?limit=N`, newest first.
 */
export function mountScheduler(app: ServiceApp, config: SchedulerConfig, injected: InjectedBackends = {}, policy: ScalingPolicy = DEFAULT_SCALING_POLICY): void {
  const ns = namespaceOf(config);
  const proxyRedis = injected.proxyRedis ?? connectRedis(config.proxyRedisUrl, 'scheduler', config, app.log);
  const parcRedis = injected.parcRedis ?? connectRedis(config.parcRedisUrl, 'scheduler.parcs', config, app.log);
  const kafka = injected.kafka ?? connectKafka(config, 'scheduler', app.log);
  const decisions = proxyRedis.decisionLog();
  app.get<{ Querystring: { limit?: number } }>(
    '/v1/scheduler/decisions',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1_000 } } } } },
    async (request) => ({ decisions: (await decisions.recent(request.query.limit ?? 20)).map((entry) => JSON.parse(entry) as DecisionEntry) }),
  );
  manageStage(app, {
    backends: {
      'proxy-redis': { backend: proxyRedis, owned: !injected.proxyRedis },
      'parc-redis': { backend: parcRedis, owned: !injected.parcRedis },
      kafka: { backend: kafka, owned: !injected.kafka },
    },
    start: async () => {
      const loop = createControlLoop({
        signals: pipelineSignals({ proxy: proxyRedis, kafka, parcRedis: () => parcRedis, namespace: ns, dueHorizonMs: policy.drainTargetS * 1000 }),
        driver: dryRunDriver(dryRunState(config), (plan) => app.log.debug({ plan }, 'dry run: plan not applied')),
        policy,
        decisions,
        tickMs: config.schedulerTickMs,
        maxEntries: config.schedulerDecisionsKept,
        logger: app.log,
        registry: app.metrics,
      });
      loop.start();
      return [loop];
    },
  });
}

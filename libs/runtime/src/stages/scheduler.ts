import { readFileSync } from 'node:fs';
import { ParcError } from '@parc/errors';
import { applyPolicyOverrides, DEFAULT_SCALING_POLICY, localProcessPolicy, type ScalingPolicy } from '@parc/scaling';
import { callerConcurrencyFor, createControlLoop, createKubernetesDriver, dryRunDriver, kubeConfigFor, parcTemplateFromYaml, pipelineSignals, startLocalProcessDriver, type ClusterState, type DecisionEntry, type ParcTemplate, type ScalingDriver } from '@parc/scheduler';
import { field, type ConfigOf, type ServiceApp } from '@parc/service-kit';
import { parcNames } from '@parc/topology';
import type { InjectedBackends, StoreBackend } from '../backends';
import { activeParcsSpec, commonSpec, connectKafka, connectRedis, kafkaSpec, namespaceOf, parcRedisSpec, proxyRedisSpec } from '../infrastructure';
import { manageStage, type Closable } from '../lifecycle';
import { mountDashboard, schedulerDashboardSource } from '../dashboard';
import { proxySpec, splitApiKeys } from './proxy';
import { parcCallerSpec } from './parc-caller';
import { kafkaPartitionsSpec } from './shared';

export const schedulerSpec = {
  ...commonSpec,
  ...proxyRedisSpec,
  ...parcRedisSpec,
  ...kafkaSpec,
  ...activeParcsSpec,
  ...kafkaPartitionsSpec,
  schedulerTickMs: field.duration({ env: 'SCHEDULER_TICK_MS', default: 1_000, min: 100, description: 'Time between two observe → decide → act rounds.' }),
  schedulerDriver: field.enum({
    env: 'SCHEDULER_DRIVER',
    values: ['dry-run', 'local', 'kubernetes'],
    default: 'dry-run',
    description:
      "How plans are applied. dry-run: recorded in the decision log, nothing changed. local: the scheduler runs every other stage as processes on this machine (SCHEDULER_LOCAL_ENTRY, ports from SCHEDULER_LOCAL_BASE_PORT) and scales them. kubernetes: the stages' Deployments in SCHEDULER_K8S_NAMESPACE are scaled and Parcs made from SCHEDULER_K8S_PARC_TEMPLATE, with the cluster's capacity (deploy/k8s/README.md).",
  }),
  schedulerK8sNamespace: field.string({ env: 'SCHEDULER_K8S_NAMESPACE', default: 'parc', description: "kubernetes driver: the namespace of Parc's Deployments and Parcs (the manifests set it to the pod's own)." }),
  schedulerK8sParcTemplate: field.string({
    env: 'SCHEDULER_K8S_PARC_TEMPLATE',
    default: 'deploy/k8s/base/parc-template.yaml',
    description: 'kubernetes driver: the rendered Parc template new Parcs are made from (a file; the manifests mount it from the parc-template ConfigMap).',
  }),
  kubeconfig: field.string({
    env: 'KUBECONFIG',
    optional: true,
    description: "kubernetes driver: a kubeconfig file to reach the API server with; unset: the pod's service account (in the cluster).",
  }),
  schedulerParcRedisUrl: field.url({
    env: 'SCHEDULER_PARC_REDIS_URL',
    protocols: ['redis', 'rediss'],
    optional: true,
    description: "Each Parc's Redis, {parc} replaced by the Parc id (on Kubernetes every Parc has its own: redis://parc-{parc}-redis:6379); unset: PARC_REDIS_URL for every Parc.",
  }),
  schedulerLocalEntry: field.string({
    env: 'SCHEDULER_LOCAL_ENTRY',
    default: 'dist/apps/{app}/main.js',
    description: "local driver: each app's entry point, {app} replaced by its name (relative to the working directory; a .ts entry runs through tsx).",
  }),
  schedulerLocalBasePort: field.port({ env: 'SCHEDULER_LOCAL_BASE_PORT', default: 8100, description: 'local driver: instances listen on ports from here upwards (the proxy, first started, gets this one).' }),
  schedulerCpuBudgetMillis: field.integer({ env: 'SCHEDULER_CPU_BUDGET_MILLIS', default: 2_000, min: 1, description: "CPU (millicores) Parc's stages may reserve in all, on one machine (dry-run and local drivers)." }),
  schedulerMemoryBudgetMiB: field.integer({ env: 'SCHEDULER_MEMORY_BUDGET_MIB', default: 4_096, min: 1, description: "Memory (MiB) Parc's stages may reserve in all, on one machine (dry-run and local drivers)." }),
  schedulerPolicy: field.string({
    env: 'SCHEDULER_POLICY',
    default: '{}',
    description:
      'JSON overrides of the scaling policy (libs/scaling/src/policy.ts): per stage min, max, ratePerInstance, resources; drainTargetS, targetUtilisation, scaleDownCooldownMs, idleScaleDownCooldownMs, tolerance, cpuSaturatedShare; caller (min/maxParallelism, fastCallMs) and parcs (max, partitions, addCooldownMs, saturatedForMs, drainCooldownMs, idleDrainMs, startupMs). E.g. {"stages":{"parc-caller":{"max":8}}}; try one with npm run simulate -- --policy.',
  }),
  // The callers the local driver starts inherit this environment: the same variable and default.
  callerBatchSize: {
    ...parcCallerSpec.callerBatchSize,
    description:
      "local driver: the callers' CALLER_BATCH_SIZE (they inherit this environment). The scheduler plans a caller's parallelism as calls in flight and starts it with CALLER_CONCURRENCY = parallelism ÷ CALLER_BATCH_SIZE.",
  },
  // The dashboard (/dashboard) is behind the same keys as the proxy's operator routes.
  apiKeys: {
    ...proxySpec.apiKeys,
    description: "The proxy's API keys (`name:secret`, comma-separated): when set, /dashboard's state asks for one of them (an operator's, with OPERATOR_KEYS); unset: the dashboard is open to whoever reaches the scheduler's port.",
  },
  operatorKeys: { ...proxySpec.operatorKeys, description: 'Names of the keys that may open the dashboard (default: every key of API_KEYS).' },
  schedulerDecisionsKept: field.integer({ env: 'SCHEDULER_DECISIONS_KEPT', default: 600, min: 1, max: 100_000, description: 'Ticks the decision log keeps (GET /v1/scheduler/decisions).' }),
};

export type SchedulerConfig = ConfigOf<typeof schedulerSpec>;

export interface SchedulerMountOptions {
  /** What local instances inherit: the scheduler's own environment (apps pass process.env). */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly policy?: ScalingPolicy;
}

/** `base` with SCHEDULER_POLICY's overrides. @throws ParcError CONFIG_INVALID naming the variable. */
function policyFrom(base: ScalingPolicy, text: string): ScalingPolicy {
  try {
    return applyPolicyOverrides(base, JSON.parse(text) as unknown);
  } catch (error) {
    throw new ParcError('CONFIG_INVALID', `SCHEDULER_POLICY is not valid: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** On one machine the proxy stays one process: its port is the API's address (see localProcessPolicy). */
function oneProxy(policy: ScalingPolicy): ScalingPolicy {
  return { ...policy, stages: { ...policy.stages, proxy: { ...policy.stages.proxy, min: 1, max: 1 } } };
}

/** What the dry-run driver reports running: one instance of every stage at the callers' default parallelism, ACTIVE_PARCS active. */
function dryRunState(config: SchedulerConfig): ClusterState {
  const callerParallelism = (parcCallerSpec.callerConcurrency.default ?? 1) * config.callerBatchSize;
  return {
    globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 },
    parcs: config.activeParcs.map((id) => ({ id, state: 'active', createdAtMs: 0, instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism })),
    capacity: { cpuMillis: config.schedulerCpuBudgetMillis, memoryMiB: config.schedulerMemoryBudgetMiB },
  };
}

/** SCHEDULER_K8S_PARC_TEMPLATE's text, read at mount so that a wrong path stops the app at once. @throws ParcError CONFIG_INVALID naming the variable. */
function parcTemplateText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ParcError('CONFIG_INVALID', `SCHEDULER_K8S_PARC_TEMPLATE: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The Parc template from SCHEDULER_K8S_PARC_TEMPLATE's text. @throws ParcError CONFIG_INVALID naming the variable. */
async function parcTemplateFrom(path: string, text: string): Promise<ParcTemplate> {
  try {
    return await parcTemplateFromYaml(text);
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    throw new ParcError('CONFIG_INVALID', `SCHEDULER_K8S_PARC_TEMPLATE (${path}) is not a usable Parc template: ${problem}`, { cause: error });
  }
}

/**
 * scheduler: the control loop (every SCHEDULER_TICK_MS: read every queue's backlog and arrivals,
 * decide with @parc/scaling, apply through the driver, record the tick in the decision log in
 * the proxy's Redis) and `GET /v1/scheduler/decisions?limit=N`, newest first.
 */
export function mountScheduler(app: ServiceApp, config: SchedulerConfig, injected: InjectedBackends = {}, options: SchedulerMountOptions = {}): void {
  // Local instances are processes: the defaults are rated per core (localProcessPolicy), and
  // SCHEDULER_POLICY's overrides apply on top, as written.
  const local = config.schedulerDriver === 'local';
  const basePolicy = options.policy ?? policyFrom(local ? localProcessPolicy(DEFAULT_SCALING_POLICY) : DEFAULT_SCALING_POLICY, config.schedulerPolicy);
  const policy = local ? oneProxy(basePolicy) : basePolicy;
  const templateText = config.schedulerDriver === 'kubernetes' ? parcTemplateText(config.schedulerK8sParcTemplate) : undefined;
  const ns = namespaceOf(config);
  const proxyRedis = injected.proxyRedis ?? connectRedis(config.proxyRedisUrl, 'scheduler', config, app.log);
  const kafka = injected.kafka ?? connectKafka(config, 'scheduler', app.log);
  // One Redis for every Parc (PARC_REDIS_URL), or each Parc its own (SCHEDULER_PARC_REDIS_URL),
  // connected when the Parc is first observed and closed when the scheduler stops.
  const perParcUrl = injected.parcRedis ? undefined : config.schedulerParcRedisUrl;
  const sharedParcRedis = perParcUrl === undefined ? (injected.parcRedis ?? connectRedis(config.parcRedisUrl, 'scheduler.parcs', config, app.log)) : undefined;
  const parcRedises = new Map<string, StoreBackend>();
  const parcRedisOf = (parcId: string): StoreBackend => {
    if (sharedParcRedis) return sharedParcRedis;
    let redis = parcRedises.get(parcId);
    if (!redis) {
      redis = connectRedis((perParcUrl as string).replaceAll('{parc}', parcId), `scheduler.${parcId}`, config, app.log);
      parcRedises.set(parcId, redis);
    }
    return redis;
  };
  const decisions = proxyRedis.decisionLog();
  // Query strings are not coerced (the house Ajv settings): the limit is checked as digits.
  app.get<{ Querystring: { limit?: string } }>(
    '/v1/scheduler/decisions',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$' } } } } },
    async (request) => ({ decisions: (await decisions.recent(Number(request.query.limit ?? 20))).map((entry) => JSON.parse(entry) as DecisionEntry) }),
  );
  mountDashboard(app, {
    source: schedulerDashboardSource({ decisions, ledger: proxyRedis.ledger({ retentionMs: config.ledgerRetentionMs }), gate: proxyRedis.destinationGate() }),
    apiKeys: splitApiKeys(config.apiKeys),
    ...(config.operatorKeys ? { operatorKeys: config.operatorKeys } : {}),
  });
  const createParcTopic = (parcId: string): Promise<void> => kafka.ensureQueue(parcNames(parcId, ns).requestsTopic, { partitions: config.kafkaPartitions });
  manageStage(app, {
    name: 'scheduler',
    backends: {
      'proxy-redis': { backend: proxyRedis, owned: !injected.proxyRedis },
      ...(sharedParcRedis ? { 'parc-redis': { backend: sharedParcRedis, owned: !injected.parcRedis } } : {}),
      kafka: { backend: kafka, owned: !injected.kafka },
    },
    start: async () => {
      const closables: Closable[] = [{ close: async () => void (await Promise.all([...parcRedises.values()].map((redis) => redis.close()))) }];
      let driver: ScalingDriver;
      if (config.schedulerDriver === 'local') {
        const local = await startLocalProcessDriver({
          environment: options.environment ?? {},
          commandOf: (stage, parcId, callerParallelism) => {
            const entry = config.schedulerLocalEntry.replaceAll('{app}', stage);
            return {
              command: process.execPath,
              args: entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry],
              env: { ...(parcId === undefined ? {} : { PARC_ID: parcId }), ...(stage === 'parc-caller' ? { CALLER_CONCURRENCY: String(callerConcurrencyFor(callerParallelism, config.callerBatchSize)) } : {}) },
            };
          },
          basePort: config.schedulerLocalBasePort,
          callerParallelism: policy.caller.minParallelism,
          capacity: { cpuMillis: config.schedulerCpuBudgetMillis, memoryMiB: config.schedulerMemoryBudgetMiB },
          registry: proxyRedis.parcRegistry(),
          createParcTopic,
          initialParcs: config.activeParcs,
          logger: app.log,
        });
        driver = local;
        closables.push({ close: () => local.close() });
      } else if (templateText !== undefined) {
        driver = await createKubernetesDriver({
          kubeConfig: await kubeConfigFor(config.kubeconfig),
          namespace: config.schedulerK8sNamespace,
          template: await parcTemplateFrom(config.schedulerK8sParcTemplate, templateText),
          registry: proxyRedis.parcRegistry(),
          createParcTopic,
          initialParcs: config.activeParcs,
          logger: app.log,
        });
      } else {
        driver = dryRunDriver(dryRunState(config), (plan) => app.log.debug({ plan }, 'dry run: plan not applied'));
      }
      const loop = createControlLoop({
        signals: pipelineSignals({ proxy: proxyRedis, kafka, parcRedis: parcRedisOf, namespace: ns, dueHorizonMs: policy.drainTargetS * 1000 }),
        driver,
        policy,
        decisions,
        tickMs: config.schedulerTickMs,
        maxEntries: config.schedulerDecisionsKept,
        logger: app.log,
        registry: app.metrics,
      });
      loop.start();
      // The loop stops first (no new plans), then the instances it started and the Parc Redises.
      return [loop, ...closables.reverse()];
    },
  });
}

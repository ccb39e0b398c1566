// nx-ignore-next-line -- only the scheduler's build lists this package (apps/scheduler/project.json), see client.ts
import type { KubeConfig, KubernetesObject, NodeMetric, PodMetric, V1Container, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { silentLogger } from '@parc/queue';
import { GLOBAL_STAGES, PARC_STAGES, stageKey, type GlobalStage, type ParcStage, type Plan, type StageName } from '@parc/scaling';
import { byAge } from '@parc/store';
import { callerConcurrencyFor, type ClusterState, type ParcState, type ScalingDriver } from '../../driver';
import { recordParcChange, seedParcRecord, type ParcRecordOptions } from '../parc-records';
import { capacityFrom } from './capacity';
import { kubernetesClient } from './client';
import { cpuUsageFrom } from './metrics';
import { PARC_ID_LABEL, parcObjects, parcTemplateOf, type ParcTemplate } from './parc-objects';

const PART_OF = 'app.kubernetes.io/part-of';
const COMPONENT = 'app.kubernetes.io/component';
const STAGES: ReadonlySet<string> = new Set<StageName>([...GLOBAL_STAGES, ...PARC_STAGES]);
/**
 * The caller's parallelism (calls in flight per process) is CALLER_BATCH_SIZE × CALLER_CONCURRENCY;
 * the app's defaults where the manifest sets neither.
 */
const CALLER_CONCURRENCY_ENV = 'CALLER_CONCURRENCY';
const CALLER_BATCH_SIZE_ENV = 'CALLER_BATCH_SIZE';
const DEFAULT_CALLER_CONCURRENCY = 64;
const DEFAULT_CALLER_BATCH_SIZE = 8;

export interface KubernetesDriverOptions extends ParcRecordOptions {
  /** Where the API server is and who we are (in the cluster: the scheduler's service account). */
  readonly kubeConfig: KubeConfig;
  /** Parc's namespace: the stages' Deployments and every Parc's objects live here. */
  readonly namespace: string;
  /** The rendered Parc template (deploy/k8s/parc-template). */
  readonly template: ParcTemplate;
  /** The field manager of server-side apply and of every patch; default `parc-scheduler`. */
  readonly fieldManager?: string;
}

/** The objects of the cluster the driver reads each time: Parc's Deployments by stage key. */
type Deployments = ReadonlyMap<string, V1Deployment>;

const isParcStagePod =
  (namespace: string) =>
  (pod: V1Pod): boolean =>
    pod.metadata?.namespace === namespace && pod.metadata.labels?.[PART_OF] === 'parc' && STAGES.has(pod.metadata.labels[COMPONENT] ?? '');

/** The caller's container in its Deployment (named after the app; else the only one). */
function callerContainer(deployment: V1Deployment | undefined): V1Container | undefined {
  const containers = deployment?.spec?.template.spec?.containers ?? [];
  return containers.find((c) => c.name === 'parc-caller') ?? containers[0];
}

function callerEnv(deployment: V1Deployment | undefined, name: string, fallback: number): number {
  const value = Number(callerContainer(deployment)?.env?.find((e) => e.name === name)?.value);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const callerConcurrencyOf = (deployment: V1Deployment | undefined): number => callerEnv(deployment, CALLER_CONCURRENCY_ENV, DEFAULT_CALLER_CONCURRENCY);
const callerBatchSizeOf = (deployment: V1Deployment | undefined): number => callerEnv(deployment, CALLER_BATCH_SIZE_ENV, DEFAULT_CALLER_BATCH_SIZE);
const callerParallelismOf = (deployment: V1Deployment | undefined): number => callerConcurrencyOf(deployment) * callerBatchSizeOf(deployment);


/**
 * Applies plans to a Kubernetes cluster through its API (`@kubernetes/client-node`), with only the
 * rights of deploy/k8s/base/scheduler-rbac.yaml:
 * - capacity: the schedulable nodes' allocatable CPU and memory minus what every pod that is not
 *   one of Parc's scaled stages requests (read every tick: other workloads come and go);
 * - CPU used: from the metrics API (metrics-server), where the cluster serves it: Parc's stage
 *   pods' use, and the schedulable nodes' usage over their capacity; absent otherwise;
 * - instances: each stage's Deployment (found by its labels, deploy/k8s/README.md) scaled through
 *   `deployments/scale`; the caller's parallelism, calls in flight per process, is set as its
 *   CALLER_CONCURRENCY (parallelism ÷ CALLER_BATCH_SIZE; a strategic merge patch of the
 *   container's env, which rolls the callers);
 * - Parcs: a new Parc's objects are made from the template and server-side applied, then it is
 *   recorded active; a removed Parc's objects (every kind in the template, by its label) deleted,
 *   then it is forgotten.
 */
export async function createKubernetesDriver(options: KubernetesDriverOptions): Promise<ScalingDriver> {
  const { ApiException, AppsV1Api, CoreV1Api, KubernetesObjectApi, Metrics, PatchStrategy, setHeaderOptions } = await kubernetesClient();
  const notFound = (error: unknown): boolean => error instanceof ApiException && error.code === 404;
  const { namespace } = options;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const fieldManager = options.fieldManager ?? 'parc-scheduler';
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const apps = options.kubeConfig.makeApiClient(AppsV1Api);
  const objects = KubernetesObjectApi.makeApiClient(options.kubeConfig);
  const metrics = new Metrics(options.kubeConfig);
  let metricsServed: boolean | undefined;
  const kinds = [...new Map(options.template.objects.map((o) => [`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion as string, kind: o.kind as string }])).values()];
  let seeded: Promise<void> | undefined;

  const deployments = async (): Promise<Deployments> => {
    const list = await apps.listNamespacedDeployment({ namespace, labelSelector: `${PART_OF}=parc` });
    const byKey = new Map<string, V1Deployment>();
    for (const deployment of list.items) {
      const labels = deployment.metadata?.labels ?? {};
      const stage = labels[COMPONENT];
      if (stage === undefined || !STAGES.has(stage)) continue;
      byKey.set(stageKey(stage as StageName, labels[PARC_ID_LABEL]), deployment);
    }
    return byKey;
  };

  const replicas = (deployment: V1Deployment | undefined): number => (deployment ? (deployment.spec?.replicas ?? 1) : 0);

  /**
   * Parc's pods' metrics and the nodes' (undefined where they cannot be read): a cluster without
   * metrics-server answers 404 or 503. Said in the log when this changes, not every tick.
   */
  const readMetrics = async (): Promise<{ pods?: PodMetric[]; nodes?: NodeMetric[] }> => {
    const [pods, nodes] = await Promise.allSettled([metrics.getPodMetrics(namespace), metrics.getNodeMetrics()]);
    const served = pods.status === 'fulfilled';
    if (served !== metricsServed) {
      if (served) logger.info({ nodes: nodes.status === 'fulfilled' }, 'the metrics API answers: decisions see the CPU used');
      else logger.warn({ err: pods.reason }, 'no pod metrics from the metrics API (metrics.k8s.io): decisions plan on requests alone');
      metricsServed = served;
    }
    return { ...(served ? { pods: pods.value.items } : {}), ...(nodes.status === 'fulfilled' ? { nodes: nodes.value.items } : {}) };
  };

  /** The stage key of one of Parc's scaled stage pods (its component and Parc id labels). */
  const stageKeyOf = (pod: V1Pod): string | undefined => {
    if (!isParcStagePod(namespace)(pod)) return undefined;
    const labels = pod.metadata?.labels ?? {};
    return stageKey(labels[COMPONENT] as StageName, labels[PARC_ID_LABEL]);
  };

  /** The images the oldest other Parc runs, by container name, for a new Parc to run the same. */
  const imagesOfOldestParc = async (except: string, current: Deployments): Promise<Map<string, string>> => {
    const images = new Map<string, string>();
    const oldest = (await options.registry.list()).sort(byAge).find((record) => record.id !== except);
    if (!oldest) return images;
    for (const stage of PARC_STAGES) {
      for (const container of current.get(stageKey(stage, oldest.id))?.spec?.template.spec?.containers ?? []) {
        if (container.image) images.set(container.name, container.image);
      }
    }
    return images;
  };

  const createParc = async (parcId: string, current: Deployments): Promise<void> => {
    await options.createParcTopic(parcId);
    for (const object of parcObjects(options.template, parcId, await imagesOfOldestParc(parcId, current))) {
      await objects.patch({ ...object, metadata: { ...object.metadata, namespace } }, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
    }
    logger.info({ parc: parcId, objects: options.template.objects.length }, 'Parc resources applied');
  };

  const deleteParc = async (parcId: string): Promise<void> => {
    for (const { apiVersion, kind } of kinds) {
      const found = await objects.list<KubernetesObject>(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, `${PARC_ID_LABEL}=${parcId}`);
      for (const object of found.items) {
        try {
          await objects.delete({ apiVersion, kind, metadata: { name: object.metadata?.name, namespace } }, undefined, undefined, undefined, undefined, 'Background');
        } catch (error) {
          if (!notFound(error)) throw error;
        }
      }
    }
    logger.info({ parc: parcId }, 'Parc resources deleted');
  };

  const setCallerConcurrency = async (deployment: V1Deployment, concurrency: number): Promise<void> => {
    const container = callerContainer(deployment);
    if (!container || !deployment.metadata?.name) return;
    const body = { spec: { template: { spec: { containers: [{ name: container.name, env: [{ name: CALLER_CONCURRENCY_ENV, value: String(concurrency) }] }] } } } };
    await apps.patchNamespacedDeployment({ name: deployment.metadata.name, namespace, body, fieldManager }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
  };

  return {
    name: 'kubernetes',
    state: async (): Promise<ClusterState> => {
      seeded ??= seedParcRecord(options.registry, options.initialParcs, now);
      await seeded;
      const [nodes, pods, current, records, used] = await Promise.all([
        core.listNode(),
        core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }),
        deployments(),
        options.registry.list(),
        readMetrics(),
      ]);
      const globalInstances = Object.fromEntries(GLOBAL_STAGES.map((stage) => [stage, replicas(current.get(stage))])) as Record<GlobalStage, number>;
      const parcs: ParcState[] = records.map((record) => ({
        id: record.id,
        state: record.state,
        createdAtMs: record.createdAtMs,
        instances: Object.fromEntries(PARC_STAGES.map((stage) => [stage, replicas(current.get(stageKey(stage, record.id)))])) as Record<ParcStage, number>,
        callerParallelism: callerParallelismOf(current.get(stageKey('parc-caller', record.id))),
      }));
      const capacity = capacityFrom(nodes.items, pods.items, isParcStagePod(namespace));
      if (!used.pods) return { globalInstances, parcs, capacity };
      return { globalInstances, parcs, capacity, cpu: cpuUsageFrom(used.pods, pods.items, stageKeyOf, used.nodes, nodes.items) };
    },
    apply: async (plan: Plan) => {
      let current = await deployments();
      const removed = new Set<string>();
      for (const parc of plan.parcs) {
        if (parc.action === 'create') {
          await createParc(parc.id, current);
        } else if (parc.action === 'remove') {
          await deleteParc(parc.id);
          removed.add(parc.id);
        }
        await recordParcChange(options.registry, parc, now);
      }
      if (plan.parcs.some((parc) => parc.action === 'create')) current = await deployments();

      const missing: string[] = [];
      for (const parc of plan.parcs) {
        const caller = current.get(stageKey('parc-caller', parc.id));
        if (removed.has(parc.id) || !caller) continue;
        const concurrency = callerConcurrencyFor(parc.callerParallelism, callerBatchSizeOf(caller));
        if (callerConcurrencyOf(caller) !== concurrency) await setCallerConcurrency(caller, concurrency);
      }
      for (const stage of plan.stages) {
        if (stage.parcId !== undefined && removed.has(stage.parcId)) continue;
        const deployment = current.get(stage.key);
        const name = deployment?.metadata?.name;
        if (!deployment || !name) {
          if (stage.desired > 0) missing.push(`${COMPONENT}=${stage.stage}${stage.parcId === undefined ? '' : `,${PARC_ID_LABEL}=${stage.parcId}`}`);
          continue;
        }
        if (replicas(deployment) === stage.desired) continue;
        await apps.patchNamespacedDeploymentScale(
          { name, namespace, body: { spec: { replicas: stage.desired } }, fieldManager },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        logger.info({ stage: stage.key, deployment: name, from: replicas(deployment), to: stage.desired, reason: stage.reason }, 'deployment scaled');
      }
      if (missing.length > 0) {
        throw new Error(`No Deployment in namespace ${namespace} labelled ${missing.join('; ')} (and ${PART_OF}=parc): apply deploy/k8s first (deploy/k8s/README.md)`);
      }
    },
  };
}

/**
 * The rendered Parc template from its YAML (multi-document). @throws Error saying what is wrong.
 */
export async function parcTemplateFromYaml(text: string): Promise<ParcTemplate> {
  const { loadAllYaml } = await kubernetesClient();
  return parcTemplateOf(loadAllYaml(text));
}

/**
 * How to reach the API server: a kubeconfig file when one is named, else the pod's service
 * account (the token and CA Kubernetes mounts, KUBERNETES_SERVICE_HOST/PORT — read by client-node).
 */
export async function kubeConfigFor(kubeconfigFile: string | undefined): Promise<KubeConfig> {
  const { KubeConfig } = await kubernetesClient();
  const kubeConfig = new KubeConfig();
  if (kubeconfigFile) kubeConfig.loadFromFile(kubeconfigFile);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// nx-ignore-next-line -- only the scheduler's build lists this package (apps/scheduler/project.json), see client.ts
import { CoreV1Api, KubeConfig, loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { MemoryParcRegistry } from '@parc/memory';
import { silentLogger } from '@parc/queue';
import type { ParcPlan, Plan, StagePlan } from '@parc/scaling';
import type { ScalingDriver } from '../../driver';
import { createKubernetesDriver, parcTemplateFromYaml } from './driver';
import { parcObjects, type ParcTemplate } from './parc-objects';
import { startStandInApiServer, type RbacRule, type StandInApiServer, type StoredObject } from '@parc/testing';

/**
 * The Kubernetes driver through the real @kubernetes/client-node against a stand-in API server
 * on loopback (libs/testing/src/kubernetes/stand-in-api-server.ts says what it does and does not do), with the real Parc
 * template (deploy/k8s/base/parc-template.yaml) and the real RBAC (deploy/k8s/base/scheduler-rbac.yaml):
 * every call the driver makes must be one the scheduler's service account is allowed.
 */
const ROOT = join(__dirname, '../../../../..');
const NS = 'parc';
const rbac = loadAllYaml(readFileSync(join(ROOT, 'deploy/k8s/base/scheduler-rbac.yaml'), 'utf8')) as (KubernetesObject & { rules?: RbacRule[] })[];
const rulesOf = (kind: string): RbacRule[] => rbac.filter((o) => o.kind === kind).flatMap((o) => o.rules ?? []);

const labels = (component: string, extra: Record<string, string> = {}): Record<string, string> => ({ 'app.kubernetes.io/part-of': 'parc', 'app.kubernetes.io/component': component, 'app.kubernetes.io/name': component, ...extra });

function node(name: string, cpu: string, memory: string, options: { ready?: boolean; cordoned?: boolean } = {}): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: options.cordoned ? { unschedulable: true } : {},
    status: { allocatable: { cpu, memory, pods: '110' }, conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
  };
}

function pod(namespace: string, name: string, nodeName: string | undefined, requests: { cpu: string; memory: string }, extra: { labels?: Record<string, string>; phase?: string; init?: { cpu: string; memory: string } } = {}): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: extra.labels ?? {} },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'main', image: 'x', resources: { requests } }],
      ...(extra.init ? { initContainers: [{ name: 'init', image: 'x', resources: { requests: extra.init } }] } : {}),
    },
    status: { phase: extra.phase ?? 'Running' },
  };
}

/** What metrics-server reports for a pod (its containers' CPU) or a node. */
function podMetrics(namespace: string, name: string, ...cpu: string[]): StoredObject {
  return { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics', metadata: { name, namespace }, timestamp: '2026-12-06T00:00:00Z', window: '15s', containers: cpu.map((c, i) => ({ name: `c${i}`, usage: { cpu: c, memory: '100Mi' } })) };
}

function nodeMetrics(name: string, cpu: string): StoredObject {
  return { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name }, timestamp: '2026-12-06T00:00:00Z', window: '15s', usage: { cpu, memory: '4Gi' } };
}

function deployment(name: string, component: string, replicas: number): StoredObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: labels(component) },
    spec: { replicas, selector: { matchLabels: { 'app.kubernetes.io/name': component } }, template: { metadata: { labels: labels(component) }, spec: { containers: [{ name: component, image: `parc/${component}:1.4.2` }] } } },
  };
}

function plan(stages: [string, string | undefined, number][], parcs: ParcPlan[] = []): Plan {
  const stagePlans: StagePlan[] = stages.map(([stage, parcId, desired]) => ({
    key: parcId === undefined ? stage : `${parcId}/${stage}`,
    stage: stage as StagePlan['stage'],
    ...(parcId === undefined ? {} : { parcId }),
    current: 0,
    desired,
    reason: 'test',
  }));
  return { stages: stagePlans, parcs, budget: { capacity: { cpuMillis: 1, memoryMiB: 1 }, planned: { cpuMillis: 0, memoryMiB: 0 } }, parcsNeeded: false, parcSaturated: false, arrivalsNeedParcs: false };
}

const parcPlan = (id: string, action: ParcPlan['action'], callerParallelism = 64): ParcPlan => ({
  id,
  action,
  state: action === 'remove' ? 'removed' : action === 'drain' ? 'draining' : 'active',
  callerParallelism,
  reason: 'test',
});

function kubeConfig(server: StandInApiServer, token = server.token): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'stand-in', server: server.url, skipTLSVerify: true }],
    users: [{ name: 'scheduler', token }],
    contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'scheduler' }],
    currentContext: 'stand-in',
  });
  return config;
}

describe('the Kubernetes driver (client-node against a stand-in API server)', () => {
  let server: StandInApiServer;
  let driver: ScalingDriver;
  let template: ParcTemplate;
  const registry = new MemoryParcRegistry();
  const topics: string[] = [];
  const topicCreatedBefore: boolean[] = [];

  beforeAll(async () => {
    template = await parcTemplateFromYaml(readFileSync(join(ROOT, 'deploy/k8s/base/parc-template.yaml'), 'utf8'));
    server = await startStandInApiServer({ clusterRules: rulesOf('ClusterRole'), namespaceRules: rulesOf('Role'), namespace: NS, metricsApi: true });
    server.seed(node('node-a', '2', '8Gi'));
    server.seed(node('node-b', '4000m', '16384Mi'));
    server.seed(node('node-c', '4', '16Gi', { cordoned: true }));
    server.seed(node('node-d', '4', '16Gi', { ready: false }));
    // Others' pods: counted where bound to a usable node and not finished.
    server.seed(pod('kube-system', 'coredns', 'node-a', { cpu: '100m', memory: '70Mi' }));
    server.seed(pod('shop', 'api', 'node-b', { cpu: '1500m', memory: '2Gi' }, { init: { cpu: '2', memory: '1Gi' } })); // the init container's 2 cores bind
    server.seed(pod(NS, 'parc-p1-redis-0', 'node-a', { cpu: '100m', memory: '256Mi' }, { labels: labels('parc-redis', { 'parc.dev/parc-id': 'p1' }) })); // Parc's, but not scaled: others
    server.seed(pod('batch', 'done', 'node-b', { cpu: '1', memory: '1Gi' }, { phase: 'Succeeded' }));
    server.seed(pod('batch', 'pending', undefined, { cpu: '500m', memory: '1Gi' }, { phase: 'Pending' }));
    server.seed(pod('shop', 'on-cordoned', 'node-c', { cpu: '1', memory: '1Gi' }));
    // Parc's scaled stages: their requests are what is planned, not taken from capacity.
    server.seed(pod(NS, 'proxy-store-abc', 'node-a', { cpu: '100m', memory: '128Mi' }, { labels: labels('proxy-store') }));
    for (const name of ['parc-p1-parc-caller-a', 'parc-p1-parc-caller-b']) server.seed(pod(NS, name, 'node-b', { cpu: '200m', memory: '192Mi' }, { labels: labels('parc-caller', { 'parc.dev/parc-id': 'p1' }) }));
    // What metrics-server reports: Parc's stage pods by stage; others' pods, pods gone and unusable nodes left out.
    server.seed(podMetrics(NS, 'proxy-store-abc', '150m'));
    server.seed(podMetrics(NS, 'parc-p1-parc-caller-a', '250m', '50m'));
    server.seed(podMetrics(NS, 'parc-p1-parc-caller-b', '500000000n'));
    server.seed(podMetrics(NS, 'parc-p1-redis-0', '40m'));
    server.seed(podMetrics(NS, 'parc-p1-parc-caller-gone', '900m'));
    server.seed(nodeMetrics('node-a', '1500m'));
    server.seed(nodeMetrics('node-b', '2'));
    server.seed(nodeMetrics('node-c', '4'));
    for (const [name, replicas] of [['proxy', 2], ['proxy-store', 1], ['responder', 1], ['scheduler', 1]] as const) server.seed(deployment(name, name, replicas));
    // Parc p1 as the overlay deploys it: the template's objects, images tagged by the overlay.
    for (const object of parcObjects(template, 'p1', new Map([['parc-incoming', 'parc/parc-incoming:1.4.2'], ['parc-caller', 'parc/parc-caller:1.4.2'], ['parc-outgoing', 'parc/parc-outgoing:1.4.2']]))) {
      server.seed({ ...(object as StoredObject), metadata: { ...(object as StoredObject).metadata, namespace: NS } });
    }
    driver = await createKubernetesDriver({
      kubeConfig: kubeConfig(server),
      namespace: NS,
      template,
      registry,
      createParcTopic: async (id) => {
        // The topic comes first: nothing of the Parc exists yet, nor is it recorded.
        topicCreatedBefore.push(server.list('deployments').some((o) => o.metadata.labels?.['parc.dev/parc-id'] === id) || (await registry.list()).some((r) => r.id === id));
        topics.push(id);
      },
      initialParcs: ['p1'],
    });
  });
  afterAll(() => server.close());

  const forbidden = (): string[] => server.requests.filter((r) => r.status === 401 || r.status === 403).map((r) => `${r.method} ${r.path} → ${r.status}`);

  it('reads capacity as the usable nodes\' allocatable minus what others request, and the instances from the Deployments', async () => {
    const state = await driver.state();
    // (2,000 + 4,000) m − coredns 100 − shop/api 2,000 (its init container) − the Parc Redis 100.
    expect(state.capacity.cpuMillis).toBe(3_800);
    // (8,192 + 16,384) MiB − 70 − 2,048 − 256.
    expect(state.capacity.memoryMiB).toBe(22_202);
    expect(state.globalInstances).toEqual({ proxy: 2, 'proxy-store': 1, responder: 1 });
    // The callers' parallelism is calls in flight per process: CALLER_CONCURRENCY × CALLER_BATCH_SIZE, the app's 64 × 8 when unset.
    expect(state.parcs).toEqual([{ id: 'p1', state: 'active', createdAtMs: expect.any(Number), instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism: 512 }]);
    expect((await registry.list()).map((r) => r.id)).toEqual(['p1']);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /api/v1/nodes', 'GET /api/v1/pods', `GET /apis/apps/v1/namespaces/${NS}/deployments`]),
    );
    expect(server.requests.find((r) => r.path === '/api/v1/pods')?.query).toEqual({ fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' });
  });

  it('reads the CPU used from the metrics API: per stage the mean of its pods, the machine as the usable nodes\' usage over their capacity', async () => {
    const state = await driver.state();
    // Callers: 300 m and 500 m → 400 m each; the Parc Redis is not a scaled stage, the pod gone is not counted.
    expect(state.cpu).toEqual({ perInstanceMillis: { 'proxy-store': 150, 'p1/parc-caller': 400 }, usedMillis: 950, machineMillis: 6_000, machineBusyShare: 0.583 });
    expect(server.requests.filter((r) => r.path.startsWith('/apis/metrics.k8s.io/')).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining([`GET /apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods 200`, 'GET /apis/metrics.k8s.io/v1beta1/nodes 200']),
    );
  });

  it('plans on requests alone where the cluster serves no metrics API (no metrics-server), and says so once', async () => {
    const bare = await startStandInApiServer({ clusterRules: rulesOf('ClusterRole'), namespaceRules: rulesOf('Role'), namespace: NS });
    try {
      bare.seed(node('node-a', '2', '8Gi'));
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (_fields: object, message?: string) => void warnings.push(message ?? '') };
      const plain = await createKubernetesDriver({ kubeConfig: kubeConfig(bare), namespace: NS, template, registry: new MemoryParcRegistry(), createParcTopic: async () => undefined, initialParcs: [], logger });
      const [first, second] = [await plain.state(), await plain.state()];
      expect('cpu' in first || 'cpu' in second).toBe(false);
      expect(first.capacity.cpuMillis).toBe(2_000);
      expect(warnings).toEqual(['no pod metrics from the metrics API (metrics.k8s.io): decisions plan on requests alone']);
      expect(bare.requests.filter((r) => r.path === `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods`).map((r) => r.status)).toEqual([404, 404]);
    } finally {
      await bare.close();
    }
  });

  it('scales Deployments through deployments/scale, and only those whose count changes', async () => {
    const before = server.requests.length;
    await driver.apply(plan([['proxy-store', undefined, 3], ['responder', undefined, 1], ['parc-caller', 'p1', 2]]));
    expect(server.get('deployments', NS, 'proxy-store')?.['spec']).toMatchObject({ replicas: 3 });
    expect(server.get('deployments', NS, 'parc-p1-parc-caller')?.['spec']).toMatchObject({ replicas: 2 });
    const patches = server.requests.slice(before).filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => [r.path, r.contentType, r.query['fieldManager']])).toEqual([
      [`/apis/apps/v1/namespaces/${NS}/deployments/proxy-store/scale`, 'application/merge-patch+json', 'parc-scheduler'],
      [`/apis/apps/v1/namespaces/${NS}/deployments/parc-p1-parc-caller/scale`, 'application/merge-patch+json', 'parc-scheduler'],
    ]);
    expect((await driver.state()).parcs[0]?.instances['parc-caller']).toBe(2);
  });

  it('creates a Parc: topic, then the template\'s objects by server-side apply (images of p1), then recorded active; sets its callers\' parallelism', async () => {
    const before = server.requests.length;
    await driver.apply(plan([['parc-caller', 'p2', 2], ['parc-incoming', 'p2', 1], ['parc-outgoing', 'p2', 1]], [parcPlan('p1', 'keep'), parcPlan('p2', 'create', 128)]));
    expect(topics).toEqual(['p2']);
    expect(topicCreatedBefore).toEqual([false]);
    expect((await registry.list()).map((r) => [r.id, r.state])).toEqual([['p1', 'active'], ['p2', 'active']]);

    const applies = server.requests.slice(before).filter((r) => r.contentType === 'application/apply-patch+yaml');
    expect(applies).toHaveLength(template.objects.length);
    for (const request of applies) expect(request.query).toMatchObject({ fieldManager: 'parc-scheduler', force: 'true' });
    const p2 = ['deployments', 'statefulsets', 'services', 'poddisruptionbudgets'].flatMap((resource) => server.list(resource)).filter((o) => o.metadata.labels?.['parc.dev/parc-id'] === 'p2');
    expect(p2.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(template.objects.map((o) => `${o.kind}/${(o.metadata?.name as string).replace('parc-p1-', 'parc-p2-')}`).sort());
    for (const object of p2) expect(object.metadata.namespace).toBe(NS);

    const caller = server.get('deployments', NS, 'parc-p2-parc-caller') as StoredObject & { spec: { replicas: number; template: { spec: { containers: { image: string; env: { name: string; value: string }[] }[] } } } };
    expect(caller.spec.replicas).toBe(2);
    const container = caller.spec.template.spec.containers[0];
    expect(container?.image).toBe('parc/parc-caller:1.4.2');
    // Parallelism 128 calls in flight: 16 batches of the app's 8.
    expect(container?.env).toEqual(expect.arrayContaining([{ name: 'PARC_ID', value: 'p2' }, { name: 'PARC_REDIS_URL', value: 'redis://parc-p2-redis:6379' }, { name: 'CALLER_CONCURRENCY', value: '16' }]));
    expect(server.requests.slice(before).some((r) => r.contentType === 'application/strategic-merge-patch+json' && r.path.endsWith('/deployments/parc-p2-parc-caller'))).toBe(true);

    const state = await driver.state();
    expect(state.parcs.find((p) => p.id === 'p2')).toMatchObject({ state: 'active', callerParallelism: 128, instances: { 'parc-caller': 2, 'parc-incoming': 1, 'parc-outgoing': 1 } });
  });

  it('drains a Parc (recorded draining) and removes it: every object labelled with it deleted, then forgotten; p1 untouched', async () => {
    await driver.apply(plan([], [parcPlan('p1', 'keep'), parcPlan('p2', 'drain', 128)]));
    expect((await registry.list()).map((r) => r.state)).toEqual(['active', 'draining']);
    await driver.apply(plan([['parc-caller', 'p2', 0]], [parcPlan('p1', 'keep'), parcPlan('p2', 'remove', 128)]));
    const all = ['deployments', 'statefulsets', 'services', 'poddisruptionbudgets'].flatMap((resource) => server.list(resource));
    expect(all.filter((o) => o.metadata.labels?.['parc.dev/parc-id'] === 'p2')).toEqual([]);
    expect(all.filter((o) => o.metadata.labels?.['parc.dev/parc-id'] === 'p1')).toHaveLength(template.objects.length);
    expect((await registry.list()).map((r) => r.id)).toEqual(['p1']);
    expect((await driver.state()).parcs.map((p) => p.id)).toEqual(['p1']);
    // Removing again (a retried tick) finds nothing and succeeds.
    await driver.apply(plan([], [parcPlan('p2', 'remove', 128)]));
  });

  it('made every call within the scheduler\'s RBAC — which the stand-in enforces', async () => {
    expect(forbidden()).toEqual([]);
    const core = kubeConfig(server).makeApiClient(CoreV1Api);
    await expect(core.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ code: 403 });
    await expect(core.listNamespacedService({ namespace: 'kube-system' })).rejects.toMatchObject({ code: 403 });
  });

  it('says which Deployment is missing, and fails without the right token', async () => {
    await expect(driver.apply(plan([['parc-outgoing', 'p9', 1]]))).rejects.toThrow(
      `No Deployment in namespace ${NS} labelled app.kubernetes.io/component=parc-outgoing,parc.dev/parc-id=p9 (and app.kubernetes.io/part-of=parc): apply deploy/k8s first`,
    );
    const stranger = await createKubernetesDriver({ kubeConfig: kubeConfig(server, 'wrong'), namespace: NS, template, registry, createParcTopic: async () => undefined, initialParcs: [] });
    await expect(stranger.state()).rejects.toMatchObject({ code: 401 });
  });
});

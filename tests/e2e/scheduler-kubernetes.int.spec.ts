import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisBackend } from '@parc/redis';
import { redisCommands, startServiceProcess, startStandInApiServer, waitFor, type RbacRule, type ServiceProcess, type StandInApiServer, type StoredObject } from '@parc/testing';
import { parseAllDocuments } from 'yaml';

/** The decision log entries as GET /v1/scheduler/decisions serves them (the fields used here). */
interface Decision {
  readonly atMs: number;
  readonly plan: {
    readonly stages: readonly { readonly key: string; readonly current: number; readonly desired: number; readonly reason: string }[];
    readonly budget: { readonly capacity: { readonly cpuMillis: number }; readonly planned: { readonly cpuMillis: number } };
  };
}

const ROOT = join(__dirname, '../..');
const NS = 'parc';
const yamlObjects = (path: string): StoredObject[] =>
  parseAllDocuments(readFileSync(join(ROOT, path), 'utf8'))
    .map((document) => document.toJSON() as StoredObject | null)
    .filter((object): object is StoredObject => object !== null);
const labels = (component: string): Record<string, string> => ({ 'app.kubernetes.io/part-of': 'parc', 'app.kubernetes.io/component': component, 'app.kubernetes.io/name': component });
const replicasOf = (server: StandInApiServer, name: string): number => (server.get('deployments', NS, name)?.['spec'] as { replicas: number }).replicas;

/**
 * The scheduler app as deployed on Kubernetes (SCHEDULER_DRIVER=kubernetes, a kubeconfig, the
 * committed Parc template), on a real Redis and Kafka, against the stand-in API server with the
 * scheduler's RBAC: a backlog in the inbox scales proxy-store's Deployment up, within the
 * capacity the nodes leave, and back down when it is gone. No pods run (the stand-in has no
 * controllers): the backlog is written straight into the inbox, and nothing drains it.
 */
describe('the scheduler with the Kubernetes driver (stand-in API server, real Redis and Kafka)', () => {
  let server: StandInApiServer;
  let scheduler: ServiceProcess;
  let inbox: RedisBackend;
  const namespace = `sched-k8s-${randomBytes(4).toString('hex')}`;
  const redisUrl = process.env['REDIS_URL'] as string;
  const db = (n: number): string => Object.assign(new URL(redisUrl), { pathname: `/${n}` }).toString();
  const decisions = async (): Promise<Decision[]> => ((await (await fetch(`${scheduler.url}/v1/scheduler/decisions?limit=1000`)).json()) as { decisions: Decision[] }).decisions.reverse();

  beforeAll(async () => {
    const rbac = yamlObjects('deploy/k8s/base/scheduler-rbac.yaml') as (StoredObject & { rules?: RbacRule[] })[];
    server = await startStandInApiServer({
      namespace: NS,
      clusterRules: rbac.filter((o) => o.kind === 'ClusterRole').flatMap((o) => o.rules ?? []),
      namespaceRules: rbac.filter((o) => o.kind === 'Role').flatMap((o) => o.rules ?? []),
    });
    // One node of 3 cores, half a core of it requested by someone else.
    server.seed({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, status: { allocatable: { cpu: '3', memory: '12Gi' }, conditions: [{ type: 'Ready', status: 'True' }] } });
    server.seed({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'default' }, spec: { nodeName: 'node-a', containers: [{ name: 'x', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] }, status: { phase: 'Running' } });
    for (const stage of ['proxy', 'proxy-store', 'responder']) {
      server.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: stage, namespace: NS, labels: labels(stage) }, spec: { replicas: 1, template: { spec: { containers: [{ name: stage, image: `parc/${stage}` }] } } } });
    }
    for (const object of yamlObjects('deploy/k8s/base/parc-template.yaml')) server.seed(object); // Parc p1, as the overlays deploy it

    const dir = mkdtempSync(join(tmpdir(), 'parc-scheduler-k8s-'));
    const kubeconfig = server.writeKubeconfig(join(dir, 'kubeconfig.json'));
    inbox = new RedisBackend({ url: db(5), keyPrefix: namespace });
    scheduler = await startServiceProcess({
      app: 'scheduler',
      logDir: dir,
      readyTimeoutMs: 60_000,
      env: {
        LOG_LEVEL: 'warn',
        PARC_NAMESPACE: namespace,
        PROXY_REDIS_URL: db(5),
        PARC_REDIS_URL: db(6),
        KAFKA_BROKERS: process.env['KAFKA_BROKERS'],
        SCHEDULER_DRIVER: 'kubernetes',
        KUBECONFIG: kubeconfig,
        SCHEDULER_K8S_NAMESPACE: NS,
        SCHEDULER_TICK_MS: '250',
        SCHEDULER_POLICY: JSON.stringify({ scaleDownCooldownMs: 2_000 }),
      },
    });
  }, 90_000);

  afterAll(async () => {
    await scheduler?.stop(20_000);
    await inbox?.close();
    await server?.close();
  }, 30_000);

  it('scales proxy-store up on an inbox backlog within the nodes\' capacity, and back down when it is gone', async () => {
    await waitFor('a first decision', async () => (await decisions()).length > 0, 20_000, 100);
    expect((await decisions()).at(-1)?.plan.budget.capacity.cpuMillis).toBe(2_500); // 3,000 m − 500 m requested by another pod
    expect(replicasOf(server, 'proxy-store')).toBe(1);

    const backlogAtMs = Date.now();
    const payloads = Array.from({ length: 20_000 }, (_, i) => ({ payload: `{"n":${i}}` }));
    for (let i = 0; i < payloads.length; i += 1_000) await inbox.publish(`${namespace}:inbox`, payloads.slice(i, i + 1_000));
    await waitFor('proxy-store scaled up', async () => replicasOf(server, 'proxy-store') > 1, 10_000, 50);
    const scaledAfterMs = Date.now() - backlogAtMs;
    // The loop logs a tick after applying it: wait for the entry too.
    const scaledUp = (d: Decision): boolean => d.plan.stages.some((s) => s.key === 'proxy-store' && s.desired > 1);
    await waitFor('the scale-up in the decision log', async () => (await decisions()).some(scaledUp), 5_000, 50);
    const up = (await decisions()).find(scaledUp);
    expect(up?.plan.stages.find((s) => s.key === 'proxy-store')?.reason).toMatch(/arriving, \d+ waiting/);
    console.log(`proxy-store Deployment scaled ${scaledAfterMs} ms after the backlog was written (ticks of 250 ms)`);

    await redisCommands(db(5), [['DEL', `${namespace}:inbox`]]); // the backlog is gone (nothing consumes it here)
    await waitFor('proxy-store back to one', async () => replicasOf(server, 'proxy-store') === 1, 30_000, 100);

    for (const decision of await decisions()) expect(decision.plan.budget.planned.cpuMillis).toBeLessThanOrEqual(decision.plan.budget.capacity.cpuMillis);
    expect(server.requests.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
    expect(server.requests.filter((r) => r.path.endsWith('/deployments/proxy-store/scale')).length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

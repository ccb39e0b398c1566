import { ensureBaseImages, type BaseImages } from '../../tools/containers/base-images';
import { buildAppImage, waitUntil, workspaceApps } from '../../tools/containers/app-images';
import {
  DROPPED_KINDS,
  KUBE_INFRA_CONTAINERS,
  KUBE_NETWORK,
  KUBE_REWRITES,
  createKubeSecret,
  kubeDown,
  kubeLeftovers,
  kubePlay,
  observePod,
  planKubePlay,
  podIp,
  podLogs,
  probeFromHost,
  probeInPod,
  startKubeInfra,
  stopKubeInfra,
  tagLocalImages,
  untagImages,
  writeKubeFile,
  type KubeApp,
  type KubePlan,
  type PodObservation,
} from '../../tools/containers/kube-play';
import { mustPodman, podman, requirePodman, seconds } from '../../tools/containers/podman';

/**
 * The Kubernetes manifests, rendered (kustomize: deploy/k8s/base and deploy/k8s/parc-template),
 * run with `podman kube play` (Podman 4.3.1, root, no systemd, no registry): every app's pod
 * starts from its Deployment and answers its probes under the manifests' securityContext —
 * uid 1000, read-only root filesystem, every capability dropped, no privilege escalation, the
 * runtime's default seccomp profile — with its environment from the ConfigMap parc-config and
 * the Secret parc-secrets.
 *
 * Podman cannot run everything Kubernetes can (tools/containers/kube-play.ts says what 4.3.1
 * does with each kind and field, and what is rewritten in memory to play the rest):
 * Namespace, RBAC, Services, PodDisruptionBudgets and the Parc's Redis StatefulSet are dropped
 * (the summary lists them); Redis and Kafka run as plain containers named as the ConfigMap and
 * the Parc's Service name them. Podman runs no probes without systemd: this test runs them, from
 * inside the pod and from the host to the pod's address (as a kubelet would). The scheduler runs
 * its manifest's kubernetes driver with no API server to talk to: its ticks fail and are retried,
 * and it must still stay up and ready (Redis and Kafka reached), within its memory limits.
 * Not covered: a scheduler placing pods, Services and their DNS, RBAC as an API server enforces
 * it, a kubelet's probe timing and restarts, rolling updates, PDBs, resource requests (Podman
 * applies the limits only), runAsNonRoot/fsGroup as a kubelet enforces them.
 * When Podman cannot run on this machine, this fails and says why: it never skips.
 */
const log = (line: string) => process.stderr.write(`[containers] ${line}\n`);
/** The backends each app's /health/ready checks (libs/runtime/src/stages): ready means these answered. */
const BACKENDS: Readonly<Record<string, readonly string[]>> = {
  proxy: ['proxy-redis'],
  'proxy-store': ['kafka', 'proxy-redis'],
  responder: ['kafka', 'proxy-redis'],
  'parc-caller': ['parc-redis', 'proxy-redis'],
  'parc-incoming': ['kafka', 'parc-redis'],
  'parc-outgoing': ['kafka', 'parc-redis', 'proxy-redis'],
  scheduler: ['kafka', 'proxy-redis'],
};
const APPS = workspaceApps();
/**
 * The scheduler's driver in the played YAML: the manifest's (kubernetes) unless
 * PARC_KUBE_SCHEDULER_DRIVER names another. With the kubernetes driver and its earlier 80 MB heap
 * cap, this test found the scheduler running out of heap within ~15 s and restarting for ever
 * (deploy/k8s/README.md's sizing now gives it 160 MB).
 */
const SCHEDULER_DRIVER = process.env['PARC_KUBE_SCHEDULER_DRIVER'] || 'kubernetes';

const steps: { name: string; ms: number }[] = [];
async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await action();
  } finally {
    steps.push({ name, ms: Date.now() - started });
    log(`${name}: ${seconds(Date.now() - started)}`);
  }
}

let base: BaseImages;
let plan: KubePlan;
let kubeFile: string | undefined;
let createdTags: string[] = [];
let playedAt = 0;
const observations = new Map<string, PodObservation>();
const probes = new Map<string, string>();

const kubeOf = (app: string): KubeApp => {
  const kube = plan.apps.find((candidate) => candidate.app === app);
  if (!kube) throw new Error(`No Deployment runs parc/${app}.`);
  return kube;
};

beforeAll(async () => {
  await requirePodman();
  plan = await step('render base + parc-template (kustomize)', async () => planKubePlay(SCHEDULER_DRIVER === 'kubernetes' ? {} : { schedulerDriver: SCHEDULER_DRIVER }));
  base = await step('base images', () => ensureBaseImages(log));
  // Built here too (the layer cache makes an unchanged app's build take seconds), so that this
  // test plays the current code when run alone.
  await step('app images', async () => {
    for (const app of APPS) await buildAppImage(app, log);
  });
  createdTags = await step('tag localhost/parc/<app>:dev as parc/<app>:latest', () => tagLocalImages(plan.apps));
  await step('Redis ×2 + Kafka on the network', () => startKubeInfra(base.redisImage, base.kafkaImage, plan.aliases, log));
  await step('podman secret create (the Secret)', () => createKubeSecret(plan.secret));
  kubeFile = writeKubeFile(plan);
  log(`podman kube play --network ${KUBE_NETWORK} ${kubeFile}`);
  const output = await step('podman kube play', () => kubePlay(kubeFile as string));
  playedAt = Date.now();
  log(output.replace(/^/gm, '    '));
}, 90 * 60_000);

afterAll(async () => {
  await kubeDown(kubeFile, plan);
  await untagImages(createdTags);
  await stopKubeInfra();
  const lines = [
    ...steps.map((s) => `${s.name}: ${seconds(s.ms)}`),
    `played: ${(plan?.kept ?? []).map((o) => `${o.kind} ${o.name}`).join(', ')}`,
    ...Object.entries(DROPPED_KINDS)
      .map(([kind, why]) => [kind, why, (plan?.dropped ?? []).filter((d) => d.kind === kind).map((d) => d.name)] as const)
      .filter(([, , names]) => names.length > 0)
      .map(([kind, why, names]) => `dropped ${kind} (${names.join(', ')}): ${why}`),
    ...KUBE_REWRITES.map((rewrite) => `rewritten in memory: ${rewrite}`),
    ...(SCHEDULER_DRIVER === 'kubernetes' ? [] : [`rewritten in memory: scheduler SCHEDULER_DRIVER kubernetes → ${SCHEDULER_DRIVER} (PARC_KUBE_SCHEDULER_DRIVER)`]),
    ...[...probes.entries()].map(([app, line]) => `${app}: ${line}`),
  ];
  log(`summary:\n  ${lines.join('\n  ')}`);
}, 10 * 60_000);

describe('the rendered manifests for podman kube play', () => {
  it('keep the ConfigMaps and a Deployment for every app, and drop only kinds Podman 4.3.1 cannot run', () => {
    expect(plan.apps.map((kube) => kube.app).sort()).toEqual([...APPS].sort());
    expect(plan.kept.filter((o) => o.kind === 'ConfigMap').map((o) => o.name)).toEqual(expect.arrayContaining(['parc-config', expect.stringMatching(/^parc-template-/)]));
    expect(plan.kept.filter((o) => o.kind === 'Deployment')).toHaveLength(APPS.length);
    expect(plan.secret.name).toBe('parc-secrets');
    expect(Object.keys(plan.secret.data).sort()).toEqual(['API_KEYS', 'WEBHOOK_SECRETS']);
    expect([...new Set(plan.dropped.map((d) => d.kind))].sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Namespace', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount', 'StatefulSet']);
    expect(plan.aliases).toEqual({ proxyRedis: 'proxy-redis', parcRedis: ['parc-p1-redis'], kafka: 'kafka' });
  });
});

describe.each(APPS)('the %s pod', (app) => {
  it('runs as uid 1000 with a read-only root filesystem, no capabilities, no privilege escalation, seccomp, and its env from parc-config and parc-secrets', async () => {
    const kube = kubeOf(app);
    // What the manifests ask for, as rendered.
    expect({ runAsUser: kube.runAsUser, runAsGroup: kube.runAsGroup, readOnlyRootFilesystem: kube.readOnlyRootFilesystem, allowPrivilegeEscalation: kube.allowPrivilegeEscalation, drop: kube.capabilitiesDrop, seccomp: kube.seccompProfile }).toEqual({
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      drop: ['ALL'],
      seccomp: 'RuntimeDefault',
    });
    await waitUntil(`${kube.container} running`, 60_000, async () => (await podman(['inspect', '--format', '{{.State.Status}}', kube.container])).stdout.trim() === 'running', () => podLogs(kube));
    const seen = await observePod(kube);
    observations.set(app, seen);
    // What Podman made of it: from podman inspect and from inside the container.
    expect({ podState: seen.podState, state: seen.state, configUser: seen.configUser, uid: seen.uid, gid: seen.gid }).toEqual({ podState: 'Running', state: 'running', configUser: '1000:1000', uid: '1000', gid: '1000' });
    expect({ readonlyRootfs: seen.readonlyRootfs, writeToRoot: seen.writeToRoot.split('\n').pop(), writeToTmp: seen.writeToTmp }).toEqual({ readonlyRootfs: true, writeToRoot: 'refused', writeToTmp: 'written' });
    expect(seen.writeToRoot).toContain('Read-only file system');
    expect({ capAdd: seen.capAdd, capEff: seen.capEff, capBnd: seen.capBnd, noNewPrivs: seen.noNewPrivs, seccomp: seen.seccomp }).toEqual({ capAdd: [], capEff: '0000000000000000', capBnd: '0000000000000000', noNewPrivs: '1', seccomp: '2' });
    expect(seen.capDrop).toEqual(expect.arrayContaining(['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_NET_RAW', 'CAP_SETUID', 'CAP_SETGID']));
    expect(seen.securityOpt).toContain('no-new-privileges');
    const fromConfigMap = Object.entries(kube.expectedEnv).filter(([, v]) => v.from === 'ConfigMap parc-config');
    const fromSecret = Object.entries(kube.expectedEnv).filter(([, v]) => v.from === 'Secret parc-secrets');
    expect(fromConfigMap.map(([name]) => name)).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'PROXY_REDIS_URL', 'PORT']));
    if (app === 'proxy') expect(fromSecret.map(([name]) => name)).toEqual(['API_KEYS']);
    if (app === 'responder') expect(fromSecret.map(([name]) => name)).toEqual(['WEBHOOK_SECRETS']);
    for (const [name, { value, from }] of Object.entries(kube.expectedEnv)) expect({ name, from, value: seen.env[name] }).toEqual({ name, from, value });
    for (const [path, content] of Object.entries(kube.configMapFiles)) {
      expect({ path, content: (await mustPodman(['exec', kube.container, 'cat', path], `cat ${path} failed.`)).stdout }).toEqual({ path, content });
    }
  }, 3 * 60_000);

  it('answers its liveness and readiness probes (Redis and Kafka reached), from inside the pod and from the host', async () => {
    const kube = kubeOf(app);
    expect({ live: kube.livePath, ready: kube.readyPath, port: kube.probePort }).toEqual({ live: '/health/live', ready: '/health/ready', port: 8080 });
    // The startupProbe allows 30 × 2 s; a kubelet would then go on probing: three minutes here.
    await waitUntil(`${app}'s ${kube.livePath}`, 180_000, async () => (await probeInPod(kube, kube.livePath as string)).status === 200, () => podLogs(kube));
    const liveMs = Date.now() - playedAt;
    const ip = await podIp(kube);
    expect(await probeFromHost(ip, kube, kube.livePath as string)).toMatchObject({ status: 200 });
    await waitUntil(`${app}'s ${kube.readyPath}`, 180_000, async () => (await probeInPod(kube, kube.readyPath as string)).status === 200, async () => `${JSON.stringify(await probeInPod(kube, kube.readyPath as string))}\n${await podLogs(kube)}`);
    const readyMs = Date.now() - playedAt;
    const ready = await probeInPod(kube, kube.readyPath as string);
    const checks = (JSON.parse(ready.body) as { checks: { name: string; status: string }[] }).checks.map((c) => `${c.name}: ${c.status}`);
    expect({ status: ready.status, failing: checks.filter((c) => !c.endsWith(': pass')) }).toEqual({ status: 200, failing: [] });
    expect({ app, backends: checks.filter((c) => /redis|kafka/.test(c)).sort() }).toEqual({ app, backends: (BACKENDS[app] ?? []).map((b) => `${b}: pass`) });
    expect(await probeFromHost(ip, kube, kube.readyPath as string)).toMatchObject({ status: 200 });
    // Never restarted (the Deployment's restartPolicy Always): out of heap, or exited, it would have.
    expect({ app, restarts: (await mustPodman(['inspect', '--format', '{{.RestartCount}}', kube.container], 'podman inspect failed.')).stdout.trim() }).toEqual({ app, restarts: '0' });
    // Measured from the end of kube play; the apps are checked in turn, so later ones' times are upper bounds.
    probes.set(app, `live by +${seconds(liveMs)}, ready by +${seconds(readyMs)} after kube play (${checks.join(', ')})`);
  }, 7 * 60_000);
});

describe('podman kube down', () => {
  it('removes every pod and container of the test, and the volumes and secret it made', async () => {
    expect(kubeFile).toBeDefined();
    await step('podman kube down (+ ConfigMap volume, secret)', () => kubeDown(kubeFile, plan));
    kubeFile = undefined;
    expect(await kubeLeftovers(plan)).toEqual({ pods: [], containers: [], volumes: [], secrets: [] });
    // Only the infra containers, which afterAll removes with the network.
    const left = (await mustPodman(['ps', '-a', '--format', '{{.Names}}', '--filter', 'name=^parc-kube-'], 'podman ps failed.')).stdout.split('\n').filter((n) => n !== '');
    expect(left.sort()).toEqual([...KUBE_INFRA_CONTAINERS].sort());
  }, 10 * 60_000);
});

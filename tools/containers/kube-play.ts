/**
 * The rendered Kubernetes manifests (deploy/k8s/base and deploy/k8s/parc-template, Parc p1) run
 * with `podman kube play` (Podman 4.3.1 from Debian, root, no systemd, no registry), for
 * tests/containers/kube.containers.spec.ts: every app's pod under the manifests' securityContext,
 * with its environment from the ConfigMap parc-config and the Secret parc-secrets.
 *
 * What Podman 4.3.1's kube play does with these objects (tried by hand, then by the test):
 * - Kinds: it runs Pod and Deployment (one pod per Deployment, `<name>-pod-0`, its containers
 *   `<pod>-<container>`), reads ConfigMap (envFrom configMapRef, configMap volumes) and makes
 *   PersistentVolumeClaims volumes. Every other kind is skipped with only an info-level log line
 *   ("Kube kind Service not supported"): Namespace, ServiceAccount, Role, ClusterRole,
 *   RoleBinding, ClusterRoleBinding, Service, PodDisruptionBudget — and the Parc's Redis, a
 *   StatefulSet. These are dropped here, on purpose and listed (DROPPED_KINDS), rather than
 *   skipped silently; the Redis the StatefulSet would run is a plain container (startKubeInfra).
 * - Secret: 4.3.1 stores a Secret object of the YAML as a Podman secret holding the object's
 *   YAML, and then cannot read it for a secretKeyRef ("secret parc-secrets is not valid JSON"):
 *   its secretKeyRef wants a Podman secret whose content is JSON, key → base64 value. So the
 *   Secret is taken out of the YAML and created with `podman secret create` in that form, from
 *   the rendered Secret's stringData/data (createKubeSecret).
 * - securityContext: readOnlyRootFilesystem (read-only rootfs), runAsUser/runAsGroup (pod level
 *   taken when the container has none), capabilities.drop ALL (every capability listed in
 *   HostConfig.CapDrop; CapEff/CapBnd 0), allowPrivilegeEscalation false (no-new-privileges) are
 *   honoured. seccompProfile is not read (4.3.1 reads only the old seccomp annotations), but
 *   Podman's default seccomp profile — the runtime's default, which is what RuntimeDefault means —
 *   applies anyway (Seccomp: 2 in /proc/1/status). runAsNonRoot and fsGroup are not checked or
 *   applied by Podman; the test checks the uid itself.
 * - resources.limits become the container's cgroup limits; lifecycle.preStop is ignored.
 * - Probes: a livenessProbe becomes a Podman healthcheck (`curl -f http://localhost:0/...`: the
 *   named port "http" comes out as 0, and the images have no curl), which Podman schedules with
 *   systemd timers — none here, so it never runs ("unable to get systemd connection" on stderr).
 *   Readiness and startup probes are ignored. The test runs the probes itself.
 *
 * And what is rewritten in memory, on a copy of the rendered objects (the repository's manifests
 * and the images are left as they are; KUBE_REWRITES says the same to the test's summary):
 * - Deployment names get the prefix `parc-kube-`: pods and containers then never collide with
 *   another test's (docker-compose's project "parc", tests/containers/images.containers.spec.ts).
 * - containers' `ports` are removed: 4.3.1 publishes every containerPort on the host (hostPort
 *   defaults to containerPort), so seven pods with containerPort 8080 would collide with each
 *   other and with the host's 8080; Kubernetes never publishes a containerPort on the node.
 * - emptyDir volumes are renamed per Deployment: 4.3.1 makes an emptyDir a Podman volume named
 *   after the pod's volume ("tmp"), which every pod of the file would then share.
 * - `fieldRef: metadata.namespace` (the scheduler's SCHEDULER_K8S_NAMESPACE) becomes the
 *   object's namespace as a value: 4.3.1 refuses it ("fieldPath metadata.namespace is either not
 *   valid or not supported"); the value is what a kubelet would put there.
 * - The scheduler keeps its SCHEDULER_DRIVER (kubernetes) unless the caller asks for another
 *   (planKubePlay's schedulerDriver). There is no API server here, so its ticks fail and are
 *   retried; it must stay up and ready all the same. With the manifest's earlier 80 MB heap cap
 *   it did not: loading @kubernetes/client-node alone fills ~120 MB, and the pod ran out of heap
 *   in ~15 s and restarted every ~18 s. The manifest now gives it 160 MB (deploy/k8s/README.md).
 * - Images are not rewritten: `parc/<app>` (no tag, i.e. :latest) is found locally because
 *   tagLocalImages tags the built `localhost/parc/<app>:dev` also as `parc/<app>:latest` (untagged
 *   again at teardown when the tag did not exist before).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { readCompose } from '../deploy/compose';
import { renderKustomize } from '../k8s/render';
import { appImage, waitUntil } from './app-images';
import { mustPodman, podman, seconds } from './podman';

export const KUBE_PREFIX = 'parc-kube-';
export const KUBE_NETWORK = 'parc-kube-net';
const PROXY_REDIS_CONTAINER = 'parc-kube-proxy-redis';
const PARC_REDIS_CONTAINER = 'parc-kube-parc-redis';
const KAFKA_CONTAINER = 'parc-kube-kafka';
export const KUBE_INFRA_CONTAINERS = [PROXY_REDIS_CONTAINER, PARC_REDIS_CONTAINER, KAFKA_CONTAINER] as const;

/** Kinds podman kube play 4.3.1 cannot run, and why they are left out of the played YAML. */
export const DROPPED_KINDS: Readonly<Record<string, string>> = {
  Namespace: 'Podman has no namespaces (kube play skips the kind)',
  ServiceAccount: 'no API server: no tokens, nothing to authenticate to',
  Role: 'no API server to enforce RBAC',
  ClusterRole: 'no API server to enforce RBAC',
  RoleBinding: 'no API server to enforce RBAC',
  ClusterRoleBinding: 'no API server to enforce RBAC',
  Service: 'kube play 4.3.1 skips Services: no ClusterIP, no Service DNS (the pods reach Redis and Kafka by network aliases)',
  PodDisruptionBudget: 'no evictions without a cluster (kube play skips the kind)',
  StatefulSet: "kube play 4.3.1 skips StatefulSets: the Parc's Redis runs as a plain container with the Service's name as network alias",
};

export const KUBE_REWRITES: readonly string[] = [
  'Deployment names prefixed parc-kube- (no collision with other tests)',
  "containers' ports removed (4.3.1 publishes every containerPort on the host: seven pods on :8080)",
  'emptyDir volumes renamed per Deployment (4.3.1 shares a volume named after the emptyDir between pods)',
  'fieldRef metadata.namespace → its value (4.3.1: "not valid or not supported")',
  'Secret taken out of the YAML and created with `podman secret create` as JSON key → base64 (4.3.1 cannot read the Secret it stores itself)',
  'images unchanged: localhost/parc/<app>:dev tagged as parc/<app>:latest',
];

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface HttpProbe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  startupProbe?: HttpProbe;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] }; runAsUser?: number; runAsGroup?: number };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  configMap?: { name: string };
}
interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  seccompProfile?: { type: string };
}
/** A rendered object, as far as this file looks at it. */
interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: { template?: { spec?: { containers: Container[]; volumes?: Volume[]; securityContext?: PodSecurityContext } } };
}

/** One app's Deployment, what the manifests ask of its pod, and the names Podman gives it. */
export interface KubeApp {
  readonly app: string;
  /** The Deployment's name as rendered, e.g. parc-p1-parc-caller. */
  readonly deployment: string;
  readonly pod: string;
  readonly container: string;
  readonly image: string;
  readonly runAsUser: number | undefined;
  readonly runAsGroup: number | undefined;
  readonly readOnlyRootFilesystem: boolean | undefined;
  readonly allowPrivilegeEscalation: boolean | undefined;
  readonly capabilitiesDrop: readonly string[];
  readonly seccompProfile: string | undefined;
  /** The environment the manifests give the container: envFrom ConfigMaps, values, secretKeyRefs (resolved from the rendered objects). */
  readonly expectedEnv: Readonly<Record<string, { value: string; from: string }>>;
  readonly livePath: string | undefined;
  readonly readyPath: string | undefined;
  readonly probePort: number;
  /** Files the manifests mount from ConfigMaps: container path → content. */
  readonly configMapFiles: Readonly<Record<string, string>>;
}

export interface KubePlan {
  /** The YAML given to podman kube play: ConfigMaps and the (rewritten) Deployments. */
  readonly yaml: string;
  readonly kept: readonly { kind: string; name: string }[];
  readonly dropped: readonly { kind: string; name: string; why: string }[];
  readonly apps: readonly KubeApp[];
  readonly secret: { readonly name: string; readonly data: Readonly<Record<string, string>> };
  /** Podman volumes kube play makes from configMap volumes (named after the ConfigMap; 4.3.1's kube down leaves them). */
  readonly configMapVolumes: readonly string[];
  /** Host names the pods need, from the ConfigMap and the Deployments' env: the infra containers carry them as aliases. */
  readonly aliases: { readonly proxyRedis: string; readonly parcRedis: readonly string[]; readonly kafka: string };
}

const hostOf = (url: string): string => new URL(url).hostname;

/** Renders base and parc-template with kustomize (tools/k8s/render.ts) and makes the plan above. */
export function planKubePlay(options: { schedulerDriver?: string } = {}): KubePlan {
  const rendered = [...renderKustomize('deploy/k8s/base'), ...renderKustomize('deploy/k8s/parc-template')].map((object) => structuredClone(object) as unknown as KubeObject);
  const configMaps = new Map(rendered.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
  const secrets = new Map(
    rendered
      .filter((o) => o.kind === 'Secret')
      .map((o) => [o.metadata.name, { ...Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])), ...(o.stringData ?? {}) }]),
  );
  if (secrets.size !== 1) throw new Error(`Expected one Secret in the rendered base, found ${[...secrets.keys()].join(', ') || 'none'}.`);
  const [secretName, secretData] = [...secrets.entries()][0] as [string, Record<string, string>];

  const kept: KubeObject[] = [];
  const dropped: { kind: string; name: string; why: string }[] = [];
  const apps: KubeApp[] = [];
  const configMapVolumes = new Set<string>();
  const parcRedis = new Set<string>();
  for (const object of rendered) {
    const name = object.metadata.name;
    if (object.kind === 'ConfigMap') kept.push(object);
    else if (object.kind === 'Secret') continue;
    else if (object.kind === 'Deployment') {
      const podSpec = object.spec?.template?.spec;
      if (!podSpec) throw new Error(`Deployment ${name} has no pod template.`);
      const [container, ...more] = podSpec.containers;
      if (!container || more.length > 0) throw new Error(`Deployment ${name}: expected one container.`);
      const app = /^parc\/([a-z-]+)$/.exec(container.image)?.[1];
      if (!app) throw new Error(`Deployment ${name}: image ${container.image} is not parc/<app>.`);
      const port = (probe: HttpProbe | undefined): number => {
        const p = probe?.httpGet?.port;
        return typeof p === 'number' ? p : (container.ports?.find((candidate) => candidate.name === p)?.containerPort ?? Number.NaN);
      };
      const expectedEnv: Record<string, { value: string; from: string }> = {};
      for (const from of container.envFrom ?? []) {
        const ref = from.configMapRef?.name;
        if (ref) for (const [k, v] of Object.entries(configMaps.get(ref) ?? {})) expectedEnv[k] = { value: v, from: `ConfigMap ${ref}` };
      }
      for (const variable of container.env ?? []) {
        const secretRef = variable.valueFrom?.secretKeyRef;
        const fieldRef = variable.valueFrom?.fieldRef;
        if (secretRef) expectedEnv[variable.name] = { value: secrets.get(secretRef.name)?.[secretRef.key] ?? '(missing)', from: `Secret ${secretRef.name}` };
        else if (variable.name === 'SCHEDULER_DRIVER' && options.schedulerDriver) expectedEnv[variable.name] = { value: options.schedulerDriver, from: `rewritten (manifest: ${variable.value})` };
        else if (fieldRef?.fieldPath === 'metadata.namespace') expectedEnv[variable.name] = { value: object.metadata.namespace ?? 'default', from: 'fieldRef metadata.namespace' };
        else if (variable.value !== undefined) expectedEnv[variable.name] = { value: variable.value, from: 'value' };
      }
      if (expectedEnv['PARC_REDIS_URL']) parcRedis.add(hostOf(expectedEnv['PARC_REDIS_URL'].value));
      const configMapFiles: Record<string, string> = {};
      for (const mount of container.volumeMounts ?? []) {
        const cm = podSpec.volumes?.find((v) => v.name === mount.name)?.configMap?.name;
        if (cm) for (const [file, content] of Object.entries(configMaps.get(cm) ?? {})) configMapFiles[`${mount.mountPath}/${file}`] = content;
      }
      const sc = container.securityContext ?? {};
      const podSc = podSpec.securityContext ?? {};
      const deployment = `${KUBE_PREFIX}${name}`;
      apps.push({
        app,
        deployment: name,
        pod: `${deployment}-pod-0`,
        container: `${deployment}-pod-0-${container.name}`,
        image: container.image,
        runAsUser: sc.runAsUser ?? podSc.runAsUser,
        runAsGroup: sc.runAsGroup ?? podSc.runAsGroup,
        readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
        allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
        capabilitiesDrop: sc.capabilities?.drop ?? [],
        seccompProfile: podSc.seccompProfile?.type,
        expectedEnv,
        livePath: container.livenessProbe?.httpGet?.path,
        readyPath: container.readinessProbe?.httpGet?.path,
        probePort: port(container.readinessProbe ?? container.livenessProbe),
        configMapFiles,
      });
      // The rewrites of the header comment, on this copy only.
      object.metadata.name = deployment;
      delete container.ports;
      const renamed = new Map<string, string>();
      for (const volume of podSpec.volumes ?? []) {
        if (volume.emptyDir) {
          renamed.set(volume.name, `${deployment}-${volume.name}`);
          volume.name = `${deployment}-${volume.name}`;
        }
        if (volume.configMap) configMapVolumes.add(volume.configMap.name);
      }
      for (const mount of container.volumeMounts ?? []) mount.name = renamed.get(mount.name) ?? mount.name;
      for (const variable of container.env ?? []) {
        if (variable.name === 'SCHEDULER_DRIVER' && options.schedulerDriver) variable.value = options.schedulerDriver;
        if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') {
          variable.value = object.metadata.namespace ?? 'default';
          delete variable.valueFrom;
        }
      }
      kept.push(object);
    } else {
      const why = DROPPED_KINDS[object.kind];
      if (!why) throw new Error(`Rendered ${object.kind} ${name}: this test does not know whether podman kube play 4.3.1 can run it; add it to DROPPED_KINDS or play it.`);
      dropped.push({ kind: object.kind, name, why });
    }
  }
  const config = configMaps.get('parc-config') ?? {};
  const proxyRedisUrl = config['PROXY_REDIS_URL'];
  const kafkaBrokers = config['KAFKA_BROKERS'];
  if (!proxyRedisUrl || !kafkaBrokers) throw new Error('The ConfigMap parc-config sets no PROXY_REDIS_URL or KAFKA_BROKERS.');
  return {
    yaml: kept.map((object) => stringify(object)).join('---\n'),
    kept: kept.map((o) => ({ kind: o.kind, name: o.metadata.name })),
    dropped,
    apps,
    secret: { name: secretName, data: secretData },
    configMapVolumes: [...configMapVolumes],
    aliases: { proxyRedis: hostOf(proxyRedisUrl), parcRedis: [...parcRedis], kafka: (kafkaBrokers.split(',')[0] ?? '').split(':')[0] ?? '' },
  };
}

/**
 * Tags each app's built image (localhost/parc/<app>:dev) also as the manifests' `parc/<app>`
 * (:latest), so that kube play finds it locally. Returns the tags it created, for untagImages.
 */
export async function tagLocalImages(apps: readonly KubeApp[]): Promise<string[]> {
  const created: string[] = [];
  for (const { app, image } of apps) {
    const tag = `localhost/${image}:latest`;
    const existed = (await podman(['image', 'exists', tag])).code === 0;
    await mustPodman(['tag', `localhost/${appImage(app)}`, tag], `Tagging ${appImage(app)} as ${image} failed: is it built?`);
    if (!existed) created.push(tag);
  }
  return created;
}

/**
 * Removes the tags tagLocalImages created, and only them: `podman untag IMAGE` without a name
 * removes every name of the image (the :dev tag, and for a base image the Dockerfile's FROM
 * name), hence the name given twice.
 */
export async function untagImages(tags: readonly string[]): Promise<void> {
  for (const tag of tags) await podman(['untag', tag, tag]);
}

/**
 * The Secret as 4.3.1's secretKeyRef reads it: a Podman secret whose content is JSON, each key
 * mapped to its value in base64 (Go's json.Unmarshal into map[string][]byte).
 */
export async function createKubeSecret(secret: KubePlan['secret']): Promise<void> {
  await podman(['secret', 'rm', secret.name]);
  const dir = join(tmpdir(), `${KUBE_PREFIX}${randomUUID()}`);
  mkdirSync(dir, { mode: 0o700 });
  const file = join(dir, 'secret.json');
  try {
    writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]))), { mode: 0o600 });
    await mustPodman(['secret', 'create', secret.name, file], `podman secret create ${secret.name} failed.`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Redis (the proxy's, and the Parc's in place of its StatefulSet) and Kafka as plain containers
 * on a Podman network with DNS, carrying as aliases the host names the ConfigMap and the
 * Deployments use; the topics docker-compose.yml's kafka-topics service creates. A variant of
 * app-images.ts's startInfra with this test's names, so that both tests can run side by side.
 */
export async function startKubeInfra(redisImage: string, kafkaImage: string, aliases: KubePlan['aliases'], log: (line: string) => void): Promise<number> {
  const started = Date.now();
  await stopKubeInfra();
  await mustPodman(['network', 'create', KUBE_NETWORK], 'Podman cannot create a network: is containernetworking-plugins/netavark installed?');
  const redis = (name: string, names: readonly string[]) =>
    mustPodman(['run', '-d', '--name', name, '--network', KUBE_NETWORK, ...names.flatMap((a) => ['--network-alias', a]), redisImage, 'redis-server', '--appendonly', 'yes'], `${name} did not start.`);
  await redis(PROXY_REDIS_CONTAINER, [aliases.proxyRedis]);
  await redis(PARC_REDIS_CONTAINER, aliases.parcRedis);
  const kafkaEnv = Object.entries(readCompose().services['kafka']?.environment ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await mustPodman(['run', '-d', '--name', KAFKA_CONTAINER, '--network', KUBE_NETWORK, '--network-alias', aliases.kafka, ...kafkaEnv, kafkaImage], 'Kafka did not start.');
  const topics = ['exec', KAFKA_CONTAINER, '/opt/kafka/bin/kafka-topics.sh', '--bootstrap-server', 'localhost:9092'];
  await waitUntil('Kafka answering kafka-topics.sh --list', 120_000, async () => (await podman([...topics, '--list'])).code === 0, async () => (await podman(['logs', '--tail', '30', KAFKA_CONTAINER])).stdout);
  for (const topic of ['parc.requests.p1', 'parc.responses']) {
    await mustPodman([...topics, '--create', '--if-not-exists', '--topic', topic, '--partitions', '4', '--config', 'max.message.bytes=16777216'], `Creating ${topic} failed.`);
  }
  for (const name of [PROXY_REDIS_CONTAINER, PARC_REDIS_CONTAINER]) {
    await waitUntil(`${name} answering redis-cli ping`, 30_000, async () => (await podman(['exec', name, 'redis-cli', 'ping'])).stdout.trim() === 'PONG');
  }
  log(`Redis (${aliases.proxyRedis}; ${aliases.parcRedis.join(', ')}) and Kafka (${aliases.kafka}) up on ${KUBE_NETWORK} in ${seconds(Date.now() - started)}`);
  return Date.now() - started;
}

export async function stopKubeInfra(): Promise<void> {
  await podman(['rm', '-f', '-t', '5', ...KUBE_INFRA_CONTAINERS]);
  await podman(['network', 'rm', '-f', KUBE_NETWORK]);
}

/** Writes the plan's YAML to a file of its own (kube down needs it again) and returns its path. */
export function writeKubeFile(plan: KubePlan): string {
  const dir = join(tmpdir(), `${KUBE_PREFIX}${randomUUID()}`);
  mkdirSync(dir);
  const file = join(dir, 'parc-kube.yaml');
  writeFileSync(file, plan.yaml);
  return file;
}

/** `podman kube play --network <net> <file>`; its stderr's systemd lines (no healthcheck timers here) are left out. */
export async function kubePlay(file: string): Promise<string> {
  const result = await mustPodman(['kube', 'play', '--network', KUBE_NETWORK, file], 'podman kube play failed.', { timeoutMs: 10 * 60_000 });
  return `${result.stdout}${result.stderr}`
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.includes('systemd connection'))
    .join('\n');
}

/** `podman kube down <file>`, then the leftovers kube down 4.3.1 does not remove: ConfigMap volumes and the secret. */
export async function kubeDown(file: string | undefined, plan: KubePlan | undefined): Promise<void> {
  if (file) {
    await podman(['kube', 'down', file], { timeoutMs: 5 * 60_000 });
    rmSync(dirname(file), { recursive: true, force: true });
  }
  // Whatever kube down missed (an interrupted play): the pods by name.
  const pods = (await podman(['pod', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((name) => name.startsWith(KUBE_PREFIX));
  if (pods.length > 0) await podman(['pod', 'rm', '-f', '-t', '5', ...pods]);
  if (plan) {
    for (const volume of plan.configMapVolumes) await podman(['volume', 'rm', '-f', volume]);
    await podman(['secret', 'rm', plan.secret.name]);
  }
}

/** What remains of the test: pods named parc-kube-*, their containers, volumes named parc-kube-*, the ConfigMap volumes, the secret. */
export async function kubeLeftovers(plan: KubePlan | undefined): Promise<{ pods: string[]; containers: string[]; volumes: string[]; secrets: string[] }> {
  const lines = async (args: string[]) => (await mustPodman(args, `podman ${args.join(' ')} failed.`)).stdout.split('\n').filter((line) => line.trim() !== '');
  const pods = (await lines(['pod', 'ls', '--format', '{{.Name}}'])).filter((name) => name.startsWith(KUBE_PREFIX));
  const containers = (await lines(['ps', '-a', '--format', '{{.Names}} {{.PodName}}'])).filter((line) => {
    const [name = '', pod = ''] = line.split(' ');
    return pod.startsWith(KUBE_PREFIX) || (name.startsWith(KUBE_PREFIX) && !(KUBE_INFRA_CONTAINERS as readonly string[]).includes(name));
  });
  const volumes = (await lines(['volume', 'ls', '--format', '{{.Name}}'])).filter((name) => name.startsWith(KUBE_PREFIX) || (plan?.configMapVolumes ?? []).includes(name));
  const secrets = (await lines(['secret', 'ls', '--format', '{{.Name}}'])).filter((name) => name === plan?.secret.name);
  return { pods, containers, volumes, secrets };
}

/** What a container shows of its securityContext, environment and probes, from podman inspect and from inside. */
export interface PodObservation {
  readonly podState: string;
  readonly state: string;
  readonly configUser: string;
  readonly uid: string;
  readonly gid: string;
  readonly readonlyRootfs: boolean;
  readonly writeToRoot: string;
  readonly writeToTmp: string;
  readonly capDrop: readonly string[];
  readonly capAdd: readonly string[];
  readonly capEff: string;
  readonly capBnd: string;
  readonly noNewPrivs: string;
  readonly seccomp: string;
  readonly securityOpt: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export async function observePod(kube: KubeApp): Promise<PodObservation> {
  const inspect = async <T>(format: string, target = kube.container): Promise<T> => JSON.parse((await mustPodman(['inspect', '--format', `{{json ${format}}}`, target], `podman inspect ${target} failed.`)).stdout) as T;
  const exec = async (script: string) => {
    const result = await podman(['exec', kube.container, 'sh', '-c', script]);
    return `${result.stdout}${result.stderr}`.trim();
  };
  const status = Object.fromEntries(
    (await exec('grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/1/status'))
      .split('\n')
      .map((line) => line.split(':').map((part) => part.trim()) as [string, string]),
  );
  const env = Object.fromEntries(
    (await mustPodman(['exec', kube.container, 'env'], 'podman exec env failed.')).stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return {
    podState: JSON.parse((await mustPodman(['pod', 'inspect', '--format', '{{json .State}}', kube.pod], `podman pod inspect ${kube.pod} failed.`)).stdout) as string,
    state: await inspect<string>('.State.Status'),
    configUser: await inspect<string>('.Config.User'),
    uid: await exec('id -u'),
    gid: await exec('id -g'),
    readonlyRootfs: await inspect<boolean>('.HostConfig.ReadonlyRootfs'),
    writeToRoot: await exec('touch /parc-kube-probe 2>&1 && echo written || echo refused'),
    writeToTmp: await exec('touch /tmp/parc-kube-probe 2>&1 && rm /tmp/parc-kube-probe && echo written || echo refused'),
    capDrop: (await inspect<string[] | null>('.HostConfig.CapDrop')) ?? [],
    capAdd: (await inspect<string[] | null>('.HostConfig.CapAdd')) ?? [],
    capEff: status['CapEff'] ?? '?',
    capBnd: status['CapBnd'] ?? '?',
    noNewPrivs: status['NoNewPrivs'] ?? '?',
    seccomp: status['Seccomp'] ?? '?',
    securityOpt: (await inspect<string[] | null>('.HostConfig.SecurityOpt')) ?? [],
    env,
  };
}

/** GET http://127.0.0.1:<port><path> from inside the pod (the images have node, not curl): the status and body, or the error. */
export async function probeInPod(kube: KubeApp, path: string): Promise<{ status: number; body: string }> {
  const script = `fetch('http://127.0.0.1:${kube.probePort}${path}',{signal:AbortSignal.timeout(3000)}).then(async r=>{process.stdout.write(JSON.stringify({status:r.status,body:await r.text()}))},e=>{process.stdout.write(JSON.stringify({status:0,body:String(e)}))})`;
  const result = await podman(['exec', kube.container, 'node', '-e', script]);
  try {
    return JSON.parse(result.stdout) as { status: number; body: string };
  } catch {
    return { status: -1, body: `${result.stdout}${result.stderr}`.trim() };
  }
}

/** The pod's address on the test network, from its infra container. */
export async function podIp(kube: KubeApp): Promise<string> {
  const infra = (await mustPodman(['pod', 'inspect', '--format', '{{.InfraContainerID}}', kube.pod], `podman pod inspect ${kube.pod} failed.`)).stdout.trim();
  return (await mustPodman(['inspect', '--format', `{{(index .NetworkSettings.Networks "${KUBE_NETWORK}").IPAddress}}`, infra], 'podman inspect of the infra container failed.')).stdout.trim();
}

/** GET http://<pod ip>:<port><path> from the test's own process on the host, as a kubelet probes a pod. */
export async function probeFromHost(ip: string, kube: KubeApp, path: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(`http://${ip}:${kube.probePort}${path}`, { signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: String(error) };
  }
}

export async function podLogs(kube: KubeApp): Promise<string> {
  const result = await podman(['logs', '--tail', '40', kube.container]);
  return `${result.stdout}${result.stderr}`;
}

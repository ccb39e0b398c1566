import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ROOT, renderKustomize, renderKustomizeText, type Container, type K8sObject } from './render';
import { RENDERED_PARC_TEMPLATE, renderedParcTemplate } from './render-parc-template';

/**
 * deploy/k8s is checked without a cluster: every kustomization is rendered with kustomize v2.0.3
 * (tools/k8s/kubectl.sh: the oldest we support) and every object validated against the OpenAPI
 * schemas of a current Kubernetes release (kubernetes-models), then against our own rules. Not
 * checked here: that a cluster accepts and runs them (no cluster on the CI machines).
 */
const KUSTOMIZATIONS = ['deploy/k8s/base', 'deploy/k8s/parc-template', 'deploy/k8s/overlays/dev', 'deploy/k8s/overlays/production'];
const PARC_APPS = ['proxy', 'proxy-store', 'parc-incoming', 'parc-caller', 'parc-outgoing', 'responder', 'scheduler'];
const PARC_TEMPLATE_APPS = ['parc-incoming', 'parc-caller', 'parc-outgoing'];

const isParcApp = (object: K8sObject): boolean => PARC_APPS.includes(object.metadata.labels?.['app.kubernetes.io/component'] ?? '');

describe.each(KUSTOMIZATIONS)('%s', (dir) => {
  const objects = renderKustomize(dir);
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));

  it('renders, and every object is valid against the Kubernetes OpenAPI schemas', () => {
    const output = execFileSync(process.execPath, [join(__dirname, 'validate.mjs')], { input: renderKustomizeText(dir), encoding: 'utf8', cwd: ROOT });
    const results = JSON.parse(output) as { kind: string; name: string; errors: string[] }[];
    expect(results.length).toBe(objects.length);
    expect(results.filter((r) => r.errors.length > 0)).toEqual([]);
  });

  it('labels every object as part of parc and puts it in the parc namespace', () => {
    for (const object of objects) {
      expect({ object: `${object.kind}/${object.metadata.name}`, partOf: object.metadata.labels?.['app.kubernetes.io/part-of'] }).toEqual({ object: `${object.kind}/${object.metadata.name}`, partOf: 'parc' });
      if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(object.kind)) expect(object.metadata.namespace).toBe('parc');
    }
  });

  it('gives every workload a selector its pod template matches, and every Service pods to select', () => {
    const podLabels = workloads.map((w) => w.spec?.template?.metadata?.labels ?? {});
    for (const workload of workloads) {
      const selector = workload.spec?.selector?.matchLabels ?? {};
      const labels = workload.spec?.template?.metadata?.labels ?? {};
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      for (const [key, value] of Object.entries(selector)) expect({ workload: workload.metadata.name, key, value: labels[key] }).toEqual({ workload: workload.metadata.name, key, value });
    }
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = (service.spec?.selector ?? {}) as Record<string, string>;
      const selects = podLabels.some((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v));
      expect({ service: service.metadata.name, selects }).toEqual({ service: service.metadata.name, selects: true });
    }
  });

  it('runs Parc containers locked down: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    for (const workload of workloads.filter(isParcApp)) {
      const pod = workload.spec?.template?.spec ?? {};
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of pod.containers ?? []) {
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(container.image).toMatch(/^parc\/[a-z-]+/);
      }
    }
  });

  it('annotates every Parc pod for Prometheus: scraped, on its http port, at /metrics', () => {
    for (const workload of workloads.filter(isParcApp)) {
      const template = workload.spec?.template as { metadata?: { annotations?: Record<string, string> }; spec?: { containers?: (Container & { ports?: { name?: string; containerPort: number }[] })[] } };
      const httpPort = template.spec?.containers?.[0]?.ports?.find((port) => port.name === 'http')?.containerPort;
      expect({ workload: workload.metadata.name, annotations: template.metadata?.annotations }).toEqual({
        workload: workload.metadata.name,
        annotations: expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(httpPort), 'prometheus.io/path': '/metrics' }),
      });
    }
  });

  it('sizes every container with requests and limits, the requests within the limits', () => {
    for (const workload of workloads) {
      for (const container of workload.spec?.template?.spec?.containers ?? []) {
        const { requests = {}, limits = {} } = container.resources ?? {};
        const label = `${workload.metadata.name}/${container.name}`;
        expect({ label, cpu: cpu(requests['cpu']) <= cpu(limits['cpu']), memory: bytes(requests['memory']) <= bytes(limits['memory']) }).toEqual({ label, cpu: true, memory: true });
      }
    }
  });
});

describe('the Parc template', () => {
  const objects = renderKustomize('deploy/k8s/parc-template');

  it('mentions the Parc id only where another Parc replaces it (name prefix, label, PARC_ID, PARC_REDIS_URL)', () => {
    const rest = renderKustomizeText('deploy/k8s/parc-template')
      .replace(/parc-p1-/g, '')
      .replace(/parc\.dev\/parc-id: p1/g, '')
      .replace(/value: p1\b/g, '');
    expect(rest).not.toMatch(/p1/);
  });

  it('labels and prefixes every object with the Parc id, and points its stages at the Parc Redis', () => {
    for (const object of objects) {
      expect(object.metadata.labels?.['parc.dev/parc-id']).toBe('p1');
      expect(object.metadata.name.startsWith('parc-p1-')).toBe(true);
    }
    for (const app of PARC_TEMPLATE_APPS) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === app);
      const env = ((deployment?.spec?.template?.spec?.containers?.[0] as Container & { env?: { name: string; value?: string }[] })?.env ?? []);
      expect(env).toEqual(expect.arrayContaining([{ name: 'PARC_ID', value: 'p1' }, { name: 'PARC_REDIS_URL', value: 'redis://parc-p1-redis:6379' }]));
    }
  });
});

describe('the rendered Parc template the scheduler mounts', () => {
  it(`is ${RENDERED_PARC_TEMPLATE}, up to date with deploy/k8s/parc-template (else: npm run k8s:parc-template)`, () => {
    expect(readFileSync(join(ROOT, RENDERED_PARC_TEMPLATE), 'utf8')).toBe(renderedParcTemplate());
  });

  it('reaches the scheduler as a file, with the kubernetes driver and each Parc its own Redis', () => {
    const objects = renderKustomize('deploy/k8s/base');
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('parc-template-')) as K8sObject & { data?: Record<string, string> };
    expect(configMap.data?.['parc-template.yaml']).toBe(renderedParcTemplate());
    const pod = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'scheduler')?.spec?.template?.spec as Record<string, unknown> & { containers: (Container & { env: { name: string; value?: string }[]; volumeMounts: { name: string; mountPath: string }[] })[]; volumes: { name: string; configMap?: { name: string } }[] };
    const container = pod.containers[0];
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ SCHEDULER_DRIVER: 'kubernetes', SCHEDULER_K8S_PARC_TEMPLATE: '/etc/parc/template/parc-template.yaml', SCHEDULER_PARC_REDIS_URL: 'redis://parc-{parc}-redis:6379' });
    expect(pod.volumes.find((v) => v.name === 'parc-template')?.configMap?.name).toBe(configMap.metadata.name);
    expect(container?.volumeMounts).toContainEqual(expect.objectContaining({ name: 'parc-template', mountPath: '/etc/parc/template' }));
  });
});

describe("the scheduler's RBAC", () => {
  const objects = renderKustomize('deploy/k8s/base');
  const rulesOf = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)?.rules;

  it('reads nodes and pods cluster-wide, and the nodes\' metrics, and nothing else', () => {
    expect(rulesOf('ClusterRole', 'parc-scheduler-capacity')).toEqual([
      { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['metrics.k8s.io'], resources: ['nodes'], verbs: ['get', 'list'] },
    ]);
  });

  it('scales Deployments, manages Parc resources and reads its pods\' metrics in its namespace, and nothing else', () => {
    const manage = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
    expect(rulesOf('Role', 'scheduler')).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: manage },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch', 'update'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: manage },
      { apiGroups: [''], resources: ['services'], verbs: manage },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: manage },
      { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['get', 'list'] },
    ]);
  });

  it('is used by the scheduler only: every other pod runs without a service account token', () => {
    for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
      const pod = deployment.spec?.template?.spec ?? {};
      if (deployment.metadata.name === 'scheduler') expect(pod.serviceAccountName).toBe('scheduler');
      else expect(pod.automountServiceAccountToken).toBe(false);
    }
  });
});

function cpu(quantity: string | undefined): number {
  if (quantity === undefined) return Number.NaN;
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

function bytes(quantity: string | undefined): number {
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity ?? '');
  return match ? Number(match[1]) * (units[match[2] ?? ''] ?? 1) : Number.NaN;
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { alertGroups } from '../observability/prometheus-rule';
import { requirePromtool } from '../observability/promtool';
import { renderKustomize, type K8sObject } from './render';

/**
 * deploy/k8s/overlays/prometheus-operator, rendered with kustomize v2.0.3 like the other
 * kustomizations (tools/k8s/manifests.spec.ts). Its objects are custom resources, which the
 * Kubernetes OpenAPI schemas of manifests.spec.ts do not describe (the Prometheus Operator's CRD
 * schemas are not a dependency here): their fields are checked below, the rules by promtool.
 */
const OVERLAY = 'deploy/k8s/overlays/prometheus-operator';
const PARC_APPS = ['proxy', 'proxy-store', 'parc-incoming', 'parc-caller', 'parc-outgoing', 'responder', 'scheduler'];

interface PodMonitor extends K8sObject {
  spec: {
    selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
    podMetricsEndpoints: { port?: string; path?: string; interval?: string; scrapeTimeout?: string }[];
  };
}

/** A label selector's verdict on a set of labels (In / NotIn / Exists / DoesNotExist, as Kubernetes reads them). */
function selects(selector: PodMonitor['spec']['selector'], labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    if (operator === 'In') return value !== undefined && values.includes(value);
    if (operator === 'NotIn') return value === undefined || !values.includes(value);
    if (operator === 'Exists') return value !== undefined;
    if (operator === 'DoesNotExist') return value === undefined;
    throw new Error(`unknown selector operator ${operator}`);
  });
  return byLabels && byExpressions;
}

describe(OVERLAY, () => {
  const objects = renderKustomize(OVERLAY);
  const podMonitor = objects.find((o) => o.kind === 'PodMonitor') as PodMonitor;
  const rule = objects.find((o) => o.kind === 'PrometheusRule') as K8sObject & { spec: { groups: unknown[] } };

  it('renders a PodMonitor and a PrometheusRule of monitoring.coreos.com/v1, in the parc namespace, part of parc', () => {
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`).sort()).toEqual(['monitoring.coreos.com/v1 PodMonitor', 'monitoring.coreos.com/v1 PrometheusRule']);
    for (const object of objects) {
      expect(object.metadata).toMatchObject({ namespace: 'parc', labels: { 'app.kubernetes.io/part-of': 'parc' } });
    }
  });

  it("selects the pods of every Parc service, and only those, and scrapes /metrics on a port each of them names", () => {
    // The pods of a whole installation: the base, one Parc, and the dev overlay's Redis and Kafka.
    const workloads = renderKustomize('deploy/k8s/overlays/dev').filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
    const pods = workloads.map((w) => ({
      name: w.metadata.name,
      labels: w.spec?.template?.metadata?.labels ?? {},
      ports: ((w.spec?.template?.spec?.containers ?? []) as { ports?: { name?: string }[] }[]).flatMap((c) => c.ports ?? []).map((p) => p.name),
    }));
    const selected = pods.filter((pod) => selects(podMonitor.spec.selector, pod.labels));
    expect(selected.map((pod) => pod.labels['app.kubernetes.io/component']).sort()).toEqual([...PARC_APPS].sort());
    expect(pods.length).toBeGreaterThan(selected.length);
    expect(podMonitor.spec.podMetricsEndpoints).toHaveLength(1);
    const [endpoint] = podMonitor.spec.podMetricsEndpoints;
    expect(endpoint).toMatchObject({ path: '/metrics' });
    for (const pod of selected) expect({ pod: pod.name, port: pod.ports.includes(endpoint?.port) }).toEqual({ pod: pod.name, port: true });
  });

  it('carries the rules of deploy/observability/prometheus/parc-alerts.yaml, unchanged (else: node --import tsx tools/observability/prometheus-rule.ts)', () => {
    expect(rule.spec.groups).toEqual(alertGroups());
  });

  it('holds rules that promtool accepts', () => {
    const promtool = requirePromtool();
    const dir = mkdtempSync(join(tmpdir(), 'parc-prometheus-rule-'));
    try {
      const file = join(dir, 'rules.yaml');
      writeFileSync(file, stringify({ groups: rule.spec.groups }));
      const rules = (rule.spec.groups as { rules: unknown[] }[]).flatMap((group) => group.rules);
      expect(execFileSync(promtool, ['check', 'rules', file], { encoding: 'utf8' })).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

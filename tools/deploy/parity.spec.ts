import { renderKustomize } from '../k8s/render';
import { readCompose, workspaceApps } from './compose';

/**
 * Nothing is forgotten when an app is added: every app under apps/ must have a compose service,
 * and in every Kubernetes overlay a Deployment and a Service, probes, resource requests and
 * limits, and the labels the scheduler finds it by (app.kubernetes.io/component = the app).
 */
const COMPONENT = 'app.kubernetes.io/component';

describe.each(['dev', 'production'])('every app is deployable: overlay %s', (overlay) => {
  const objects = renderKustomize(`deploy/k8s/overlays/${overlay}`);
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const services = objects.filter((o) => o.kind === 'Service');

  it.each(workspaceApps())('%s has a Deployment with probes, requests and limits, and a Service selecting it', (app) => {
    const deployment = deployments.find((d) => d.spec?.template?.metadata?.labels?.[COMPONENT] === app);
    expect(deployment).toBeDefined();
    const podLabels = deployment?.spec?.template?.metadata?.labels ?? {};
    for (const container of deployment?.spec?.template?.spec?.containers ?? []) {
      expect({ container: container.name, requests: Object.keys(container.resources?.requests ?? {}).sort() }).toEqual({ container: container.name, requests: ['cpu', 'memory'] });
      expect({ container: container.name, limits: Object.keys(container.resources?.limits ?? {}).sort() }).toEqual({ container: container.name, limits: ['cpu', 'memory'] });
      expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
    }
    const selecting = services.filter((s) => {
      const selector = (s.spec?.selector ?? {}) as Record<string, string>;
      return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    });
    expect(selecting.length).toBeGreaterThan(0);
  });
});

describe('every app runs in docker compose', () => {
  it.each(workspaceApps())('%s has a compose service', (app) => {
    expect(readCompose().services[app]).toBeDefined();
  });
});

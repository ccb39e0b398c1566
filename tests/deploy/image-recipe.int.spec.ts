import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServiceProcess, startStandInApiServer, waitFor, type StandInApiServer } from '@parc/testing';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const APPS = readdirSync(join(ROOT, 'apps')).filter((app) => existsSync(join(ROOT, 'apps', app, 'project.json')));
const dockerfile = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');

/**
 * What building an image does, done here without Docker (none runs on the CI machines): the
 * Dockerfile's build steps are scripts, and this test runs the same scripts for every app, then
 * starts the result from its own directory, with only its production dependencies, like the
 * container would. Not covered here: the base image, apt's tini, the layers, `docker build` itself.
 */
describe('the image recipe, performed without Docker', () => {
  it('builds with the scripts this test runs, as a non-root user with tini, a healthcheck and NODE_ENV=production', () => {
    expect(dockerfile).toContain('RUN deploy/docker/build-app.sh "${APP}" /out');
    expect(dockerfile).toContain('RUN install-deps.sh /app');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/live/m);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    expect(dockerfile).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim AS node$/m);
  });

  it.each(APPS)('%s: build, install production dependencies into an empty directory, start, answer health, stop on SIGTERM', async (app) => {
    const out = mkdtempSync(join(tmpdir(), `parc-image-${app}-`));
    try {
      await run(join(ROOT, 'deploy/docker/build-app.sh'), [app, out], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
      expect(readdirSync(out).sort()).toEqual(['main.js', 'main.js.map', 'package-lock.json', 'package.json']);
      await run(join(ROOT, 'deploy/docker/install-deps.sh'), [out], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
      const installed = readdirSync(join(out, 'node_modules'));
      for (const devOnly of ['jest', 'nx', 'typescript', 'eslint', 'tsx']) expect(installed).not.toContain(devOnly);

      // Only the scheduler's image holds the Kubernetes client: it alone loads it.
      expect(installed.includes('@kubernetes')).toBe(app === 'scheduler');
      // The scheduler runs as on Kubernetes (its manifest's driver), against a stand-in API server:
      // its image must hold what the Kubernetes driver loads.
      const cluster = app === 'scheduler' ? await standInCluster(out) : undefined;

      // Plain `node main.js`, as the image's CMD runs it (no TypeScript loader).
      const service = await startServiceProcess({ app, entry: join(out, 'main.js'), nodeArgs: ['--enable-source-maps'], env: { ...appEnv(app), ...cluster?.env }, logDir: out, readyTimeoutMs: 60_000 });
      expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
      if (cluster) await waitFor('the scheduler reading the nodes through client-node', async () => cluster.server.requests.some((r) => r.path === '/api/v1/nodes' && r.status === 200), 20_000, 100);
      expect(await service.stop()).toEqual({ code: 0, signal: null });
      await cluster?.server.close();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 240_000);
});

/** What the container's environment would hold: the test run's Redis and Kafka, demo secrets. */
function appEnv(app: string): NodeJS.ProcessEnv {
  const redis = process.env['REDIS_URL'] as string;
  return {
    NODE_ENV: 'production',
    NODE_OPTIONS: '',
    LOG_LEVEL: 'warn',
    PARC_NAMESPACE: `image-${app}`.replace(/[^a-z0-9-]/g, ''),
    PROXY_REDIS_URL: redis,
    PARC_REDIS_URL: redis,
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] as string,
    API_KEYS: 'image-test:0123456789abcdef',
    WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  };
}

/** A stand-in API server with one node, and the scheduler's environment for the Kubernetes driver. */
async function standInCluster(dir: string): Promise<{ server: StandInApiServer; env: NodeJS.ProcessEnv }> {
  const server = await startStandInApiServer({ namespace: 'parc', clusterRules: [{ apiGroups: ['', 'apps', 'policy'], resources: ['*'], verbs: ['*'] }], namespaceRules: [] });
  server.seed({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, status: { allocatable: { cpu: '2', memory: '4Gi' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  const kubeconfig = server.writeKubeconfig(join(dir, 'kubeconfig.json'));
  return { server, env: { SCHEDULER_DRIVER: 'kubernetes', KUBECONFIG: kubeconfig, SCHEDULER_K8S_PARC_TEMPLATE: join(ROOT, 'deploy/k8s/base/parc-template.yaml') } };
}

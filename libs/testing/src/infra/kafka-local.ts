import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InfraUnavailableError } from './errors';
import { freePorts } from './free-port';
import { findJava, MIN_JAVA_MAJOR } from './java';
import { DEFAULT_KAFKA_TOOLS_DIR, ensureKafkaJars } from './kafka-jars';
import { probeKafka } from './kafka-probe';
import { brokerSettings, KAFKA_VERSION, randomClusterId, toPropertiesFile } from './kafka-settings';
import { grepFile, restartable, runCommand, startProcess, waitForReady, type ManagedProcess } from './process';
import { once, type ProvidedKafka } from './types';
import { createServiceDir, recordOwner, removeServiceDir } from './workdir';

/** Options for a broker started from the jars. */
export interface LocalKafkaOptions {
  /** Jar cache; default `defaultKafkaCacheDir()` (PARC_KAFKA_CACHE_DIR or ~/.cache/parc/kafka/<version>). */
  readonly cacheDir?: string;
  /** Directory with pom.xml and log4j2.properties; default tools/kafka of this workspace. */
  readonly toolsDir?: string;
  /** Fixed client / controller ports; default: free ones (and a retry if one is taken meanwhile). */
  readonly port?: number;
  readonly controllerPort?: number;
  /** Maximum JVM heap in MiB; default 512 (a 2-core test machine runs Redis and Node beside it). */
  readonly heapMb?: number;
  /** `auto.create.topics.enable`; default true. */
  readonly autoCreateTopics?: boolean;
  /** How long the JVM may take to answer Metadata; default 90 s. */
  readonly startTimeoutMs?: number;
  /** The java executable, when the caller already checked it (see `findJava`). */
  readonly java?: string;
  readonly log?: (line: string) => void;
}

// Short-lived JVMs (StorageTool) start faster with the C1 compiler only and a small heap.
const TOOL_JVM = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

/** A broker started from the jars, which a fault test may kill and start again on its data. */
export interface LocalKafkaBroker extends ProvidedKafka {
  readonly pid: number;
  /** SIGKILL: the broker dies as in a crash; its log dir and ports stay. */
  kill(): Promise<void>;
  /** Starts the killed broker again on the same log dir and ports; resolves with ms until it answered Metadata. */
  restart(): Promise<number>;
}

/** Downloads the jars if needed, formats a fresh KRaft log dir and starts the broker JVM. */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafkaBroker> {
  const java = options.java !== undefined ? { ok: true as const, java: options.java } : await findJava();
  if (!java.ok) {
    throw new InfraUnavailableError(`Java ${MIN_JAVA_MAJOR}+ is required for the local Kafka broker (${java.reason}).`);
  }
  const toolsDir = options.toolsDir ?? DEFAULT_KAFKA_TOOLS_DIR;
  const jars = await ensureKafkaJars({ cacheDir: options.cacheDir, toolsDir, log: options.log });
  const fixedPorts = options.port !== undefined || options.controllerPort !== undefined;

  for (let attempt = 1; ; attempt++) {
    const dir = createServiceDir('kafka');
    try {
      return await startInDir(dir, java.java, jars, toolsDir, options);
    } catch (error) {
      removeServiceDir(dir);
      // Another process took a port between freePorts() and the JVM binding it: pick new ones.
      const portTaken = /BindException|Address already in use/.test((error as Error).message);
      if (!portTaken || fixedPorts || attempt >= 3) throw error;
    }
  }
}

async function startInDir(
  dir: string,
  java: string,
  jars: { libsDir: string; cacheDir: string; downloaded: boolean; downloadMs?: number },
  toolsDir: string,
  options: LocalKafkaOptions,
): Promise<LocalKafkaBroker> {
  const [freeA, freeB] = await freePorts(2);
  const port = options.port ?? (freeA as number);
  const controllerPort = options.controllerPort ?? (freeB as number);
  const propsFile = join(dir, 'server.properties');
  const settings = brokerSettings({
    port,
    controllerPort,
    listenHost: '127.0.0.1',
    advertisedHost: '127.0.0.1',
    logDirs: join(dir, 'data'),
    autoCreateTopics: options.autoCreateTopics,
  });
  writeFileSync(propsFile, toPropertiesFile(settings));
  const classpath = `${jars.libsDir}/*`; // expanded by java itself, not by a shell
  const logging = [`-Dlog4j2.configurationFile=${join(toolsDir, 'log4j2.properties')}`, `-Dkafka.logs.dir=${dir}`];

  const formatStarted = Date.now();
  const clusterId = randomClusterId();
  const format = await runCommand(
    java,
    [...TOOL_JVM, ...logging, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile],
    { cwd: dir, timeoutMs: 60_000 },
  );
  const formatMs = Date.now() - formatStarted;
  if (format.code !== 0) {
    throw new InfraUnavailableError(
      `Formatting the Kafka log dir failed (StorageTool exit code ${format.code}):\n${(format.stdout + format.stderr).trim()}`,
    );
  }

  const heapMb = options.heapMb ?? 512;
  const started = Date.now();
  const serverLog = join(dir, 'server.log');
  const brokers = `127.0.0.1:${port}`;
  const launch = (): Promise<ManagedProcess> => launchBroker({ java, heapMb, logging, classpath, propsFile, dir, brokers, serverLog, options });
  const broker = restartable('the Kafka broker', await launch(), launch);
  const readyMs = Date.now() - started;

  const cache = jars.cacheDir.replace(homedir(), '~');
  return {
    brokers,
    version: KAFKA_VERSION,
    source: 'local',
    description:
      `KRaft broker from Maven Central jars, cache ${cache}` +
      `${jars.downloaded ? `, jars downloaded in ${seconds(jars.downloadMs ?? 0)}` : ''}` +
      `, formatted in ${seconds(formatMs)}, ready in ${seconds(readyMs)}, log ${serverLog}`,
    timings: { ...(jars.downloaded ? { downloadMs: jars.downloadMs ?? 0 } : {}), formatMs, readyMs },
    get pid() {
      return broker.pid;
    },
    workDir: dir,
    kill: () => broker.kill(),
    restart: () => broker.restart(),
    stop: once(async () => {
      // The data is thrown away, so a clean shutdown buys nothing; SIGTERM still lets the JVM
      // release its ports promptly, with SIGKILL as the fallback.
      await broker.current().stop(5_000);
      removeServiceDir(dir);
    }),
  };
}

interface BrokerLaunch {
  readonly java: string;
  readonly heapMb: number;
  readonly logging: readonly string[];
  readonly classpath: string;
  readonly propsFile: string;
  readonly dir: string;
  readonly brokers: string;
  readonly serverLog: string;
  readonly options: LocalKafkaOptions;
}

/** Starts the broker JVM on a formatted log dir and waits until it answers a Metadata request. */
async function launchBroker(launch: BrokerLaunch): Promise<ManagedProcess> {
  const { java, heapMb, logging, classpath, propsFile, dir, brokers, serverLog, options } = launch;
  const child: ManagedProcess = await startProcess(
    java,
    [
      `-Xmx${heapMb}m`,
      `-Xms${Math.min(256, heapMb)}m`,
      '-XX:+UseSerialGC',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      ...logging,
      '-cp',
      classpath,
      'kafka.Kafka',
      propsFile,
    ],
    { logFile: join(dir, 'jvm.out'), cwd: dir },
  );
  recordOwner(dir, child.pid, [propsFile]);
  try {
    await waitForReady(child, () => probeKafka(brokers, 1_000), {
      name: `Kafka broker (pid ${child.pid})`,
      timeoutMs: options.startTimeoutMs ?? 90_000,
      intervalMs: 200,
      logFiles: [child.logFile, serverLog],
    });
  } catch (error) {
    await child.stop(2_000);
    // The tail of a failed start is mostly shutdown noise; the cause is in the first errors.
    const errors = grepFile(serverLog, /\] (ERROR|FATAL) |^Caused by: /, 8);
    if (errors === '') throw error;
    throw new Error(`${(error as Error).message}\nErrors in ${serverLog}:\n${errors}`, { cause: error });
  }
  return child;
}

/** `1234` -> `1.2 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InfraUnavailableError } from './errors';
import { freePorts } from './free-port';
import { findJava, MIN_JAVA_MAJOR } from './java';
import { DEFAULT_KAFKA_TOOLS_DIR, ensureKafkaJars } from './kafka-jars';
import { probeKafka } from './kafka-probe';
import { createSecurityMaterial, type KafkaSecurityMaterial } from './kafka-security';
import { brokerSettings, KAFKA_VERSION, randomClusterId, scramFormatArguments, toPropertiesFile, type BrokerSecurityInput } from './kafka-settings';
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
  /**
   * Also serve TLS and SASL listeners (see `SecureLocalKafkaBroker`), with certificates made by
   * `openssl` and random passwords; default false. Needs `openssl` on PATH.
   */
  readonly security?: boolean;
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

/**
 * A broker started with `security: true`: beside the PLAINTEXT `brokers`, three listeners on
 * 127.0.0.1 whose certificate is valid for `127.0.0.1` and `localhost`. Inter-broker and
 * controller traffic stays PLAINTEXT.
 */
export interface SecureLocalKafkaBroker extends LocalKafkaBroker {
  /** SSL: TLS, and a client certificate signed by `security.caPem` is required (`clientCertPem`). */
  readonly tlsBrokers: string;
  /** SASL_PLAINTEXT: SASL PLAIN (`users.plain`) and SCRAM-SHA-512 (`users.scram`). */
  readonly saslBrokers: string;
  /** SASL_SSL: TLS without a client certificate, then SASL PLAIN or SCRAM-SHA-512. */
  readonly saslTlsBrokers: string;
  readonly security: KafkaSecurityMaterial;
}

/** Downloads the jars if needed, formats a fresh KRaft log dir and starts the broker JVM. */
export function startLocalKafka(options: LocalKafkaOptions & { readonly security: true }): Promise<SecureLocalKafkaBroker>;
export function startLocalKafka(options?: LocalKafkaOptions): Promise<LocalKafkaBroker>;
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
  const [freeA, freeB, ...securityPorts] = await freePorts(options.security === true ? 5 : 2);
  const port = options.port ?? (freeA as number);
  const controllerPort = options.controllerPort ?? (freeB as number);
  const secure = options.security === true ? await secureListeners(dir, securityPorts) : undefined;
  const propsFile = join(dir, 'server.properties');
  const settings = brokerSettings({
    port,
    controllerPort,
    listenHost: '127.0.0.1',
    advertisedHost: '127.0.0.1',
    logDirs: join(dir, 'data'),
    autoCreateTopics: options.autoCreateTopics,
    ...(secure === undefined ? {} : { security: secure.input }),
  });
  writeFileSync(propsFile, toPropertiesFile(settings));
  const classpath = `${jars.libsDir}/*`; // expanded by java itself, not by a shell
  const logging = [`-Dlog4j2.configurationFile=${join(toolsDir, 'log4j2.properties')}`, `-Dkafka.logs.dir=${dir}`];

  const formatStarted = Date.now();
  const scram = secure === undefined ? [] : scramFormatArguments({ [secure.material.users.scram.username]: secure.material.users.scram.password });
  await formatLogDir({ java, logging, classpath, propsFile, dir, extraArguments: scram });
  const formatMs = Date.now() - formatStarted;

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
      `${secure === undefined ? '' : ', with SSL, SASL_PLAINTEXT and SASL_SSL listeners'}` +
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
    ...(secure === undefined
      ? {}
      : {
          tlsBrokers: `127.0.0.1:${secure.input.sslPort}`,
          saslBrokers: `127.0.0.1:${secure.input.saslPort}`,
          saslTlsBrokers: `127.0.0.1:${secure.input.saslSslPort}`,
          security: secure.material,
        }),
  };
}

/** The TLS material, users and extra listener ports of a broker started with `security: true`. */
async function secureListeners(dir: string, ports: readonly number[]): Promise<{ input: BrokerSecurityInput; material: KafkaSecurityMaterial }> {
  const [sslPort, saslPort, saslSslPort] = ports as [number, number, number];
  const { material, broker } = await createSecurityMaterial(dir);
  const input: BrokerSecurityInput = {
    sslPort,
    saslPort,
    saslSslPort,
    keystoreFile: broker.keystore,
    truststoreFile: broker.truststore,
    plainUsers: { [material.users.plain.username]: material.users.plain.password },
  };
  return { input, material };
}

/** `StorageTool format`: a fresh KRaft log dir for a new cluster id (and the SCRAM users, if any). */
async function formatLogDir(format: {
  readonly java: string;
  readonly logging: readonly string[];
  readonly classpath: string;
  readonly propsFile: string;
  readonly dir: string;
  readonly extraArguments: readonly string[];
}): Promise<void> {
  const { java, logging, classpath, propsFile, dir, extraArguments } = format;
  const result = await runCommand(
    java,
    [...TOOL_JVM, ...logging, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', propsFile, ...extraArguments],
    { cwd: dir, timeoutMs: 60_000 },
  );
  if (result.code !== 0) {
    throw new InfraUnavailableError(`Formatting the Kafka log dir failed (StorageTool exit code ${result.code}):\n${(result.stdout + result.stderr).trim()}`);
  }
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

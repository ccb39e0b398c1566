import { join } from 'node:path';
import { startKafkaContainer } from './containers';
import { detectDockerEngine } from './docker';
import { describeError, InfraUnavailableError, joinClauses } from './errors';
import { findJava, MIN_JAVA_MAJOR } from './java';
import { defaultKafkaCacheDir, DEFAULT_KAFKA_TOOLS_DIR, isCacheComplete } from './kafka-jars';
import { startLocalKafka, type LocalKafkaOptions } from './kafka-local';
import { probeKafka } from './kafka-probe';
import { which } from './process';
import { DEFAULT_SOURCES, type ProvideOptions, type ProvidedKafka } from './types';

/** `security` is left out: a broker from KAFKA_BROKERS or a container has no such listeners (use `startLocalKafka`). */
export interface ProvideKafkaOptions extends ProvideOptions, Omit<LocalKafkaOptions, 'log' | 'java' | 'security'> {}

/** Verifies that `brokers` (KAFKA_BROKERS format) answers Metadata with at least one broker. */
export async function kafkaFromBrokers(brokers: string, origin: string): Promise<ProvidedKafka> {
  let listed: string;
  try {
    const metadata = await probeKafka(brokers, 3_000);
    listed = metadata.brokers.map((b) => `${b.host}:${b.port}`).join(',');
  } catch (error) {
    throw new InfraUnavailableError(
      `${origin} does not answer a Metadata request (${describeError(error)}). ` +
        'Start that broker, or unset KAFKA_BROKERS to let the harness start one.',
    );
  }
  return {
    brokers,
    version: 'unknown',
    source: 'env',
    description: `from ${origin.split('=')[0]}, cluster lists ${listed}; not started or stopped by the harness`,
    timings: {},
    stop: async () => undefined,
  };
}

/**
 * Why the local broker cannot start, checked before anything slow: Java 17+ always, Maven only
 * when the jar cache is incomplete. Undefined when both are fine.
 */
export async function localKafkaBlocker(
  options: { cacheDir?: string; toolsDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ reason: string; java?: string } | { reason?: undefined; java: string }> {
  const java = await findJava(options.env);
  const cacheDir = options.cacheDir ?? defaultKafkaCacheDir(options.env);
  const pom = join(options.toolsDir ?? DEFAULT_KAFKA_TOOLS_DIR, 'pom.xml');
  const needMaven = !isCacheComplete(cacheDir, pom);
  const mvnMissing = needMaven && !which('mvn', (options.env ?? process.env)['PATH'] ?? '');
  if (!java.ok && mvnMissing) return { reason: `Java ${MIN_JAVA_MAJOR}+ / Maven were not found on PATH (${java.reason}, mvn: not found)` };
  if (!java.ok) return { reason: `Java ${MIN_JAVA_MAJOR}+ was not found (${java.reason})` };
  if (mvnMissing) return { reason: `Maven was not found on PATH (mvn: not found) and the jars are not cached in ${cacheDir}`, java: java.java };
  return { java: java.java };
}

/**
 * A Kafka broker for the tests: KAFKA_BROKERS when set (verified, never started or stopped), else
 * an apache/kafka container when a Docker engine answers, else a KRaft broker from the Maven
 * Central jars. Fails with a message saying what was tried and how to fix it.
 */
export async function provideKafka(options: ProvideKafkaOptions = {}): Promise<ProvidedKafka> {
  const env = options.env ?? process.env;
  const sources = options.sources ?? DEFAULT_SOURCES;
  const tried: string[] = [];
  let hint = `Install openjdk-17-jre-headless and maven, or set KAFKA_BROKERS=host:port.`;

  if (sources.includes('env')) {
    const brokers = env['KAFKA_BROKERS']?.trim();
    if (brokers) {
      try {
        return await kafkaFromBrokers(brokers, `KAFKA_BROKERS=${brokers}`);
      } catch (error) {
        throw new InfraUnavailableError(`Cannot provide Kafka for the integration tests: ${describeError(error)}`, { cause: error });
      }
    }
    tried.push('KAFKA_BROKERS is not set');
  }
  if (sources.includes('testcontainers')) {
    const docker = options.docker ?? (await detectDockerEngine({ env }));
    if (docker.available) {
      try {
        return await startKafkaContainer({ autoCreateTopics: options.autoCreateTopics });
      } catch (error) {
        tried.push(`testcontainers failed (${describeError(error)})`);
        options.log?.(`Kafka via testcontainers failed, trying the next way: ${describeError(error)}`);
      }
    } else {
      tried.push(`no Docker engine is reachable (${docker.detail})`);
    }
  }
  if (sources.includes('local')) {
    const blocker = await localKafkaBlocker({ cacheDir: options.cacheDir, toolsDir: options.toolsDir, env });
    if (blocker.reason !== undefined) {
      tried.push(blocker.reason);
    } else {
      try {
        return await startLocalKafka({ ...options, java: blocker.java });
      } catch (error) {
        tried.push(`the local broker failed: ${describeError(error)}`);
        hint = 'Fix the error above, or set KAFKA_BROKERS=host:port.';
      }
    }
  }
  throw new InfraUnavailableError(`Cannot provide Kafka for the integration tests: ${joinClauses(tried)}. ${hint}`);
}

import { freePort } from './free-port';
import { probeKafka } from './kafka-probe';
import { brokerSettings, KAFKA_VERSION, randomClusterId, toContainerEnvironment } from './kafka-settings';
import { sleep } from './process';
import { probeRedis } from './resp-probe';
import { once, type ProvidedKafka, type ProvidedRedis } from './types';

/**
 * Redis and Kafka as single containers, for machines with a Docker engine. testcontainers is
 * loaded only here, with a plain require, so runs without Docker never load it. Its reaper (Ryuk)
 * removes the containers even when the test run is killed.
 *
 * This path cannot run on the development machines (no engine); it is kept small on purpose.
 */

export const REDIS_IMAGE = 'redis:7.4';
export const KAFKA_IMAGE = `apache/kafka:${KAFKA_VERSION}`;

type Testcontainers = typeof import('testcontainers');

/**
 * `localhost` as 127.0.0.1: Docker publishes ports on IPv4 everywhere but not always on ::1, and
 * clients differ in which address of `localhost` they try first.
 */
const ipv4 = (host: string): string => (host === 'localhost' ? '127.0.0.1' : host);

function loadTestcontainers(): Testcontainers {
  return require('testcontainers') as Testcontainers;
}

/** Starts `redis:7.4` (no persistence, like the local one) and waits for PING. */
export async function startRedisContainer(): Promise<ProvidedRedis> {
  const { GenericContainer, Wait } = loadTestcontainers();
  const started = Date.now();
  const container = await new GenericContainer(REDIS_IMAGE)
    .withExposedPorts(6379)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(120_000)
    .start();
  const url = `redis://${ipv4(container.getHost())}:${container.getMappedPort(6379)}`;
  try {
    const { version } = await probeRedis(url, 5_000);
    return {
      url,
      version,
      source: 'testcontainers',
      description: `container ${REDIS_IMAGE} via testcontainers`,
      timings: { readyMs: Date.now() - started },
      stop: once(async () => {
        await container.stop();
      }),
    };
  } catch (error) {
    await container.stop();
    throw error;
  }
}

/**
 * Starts `apache/kafka:<KAFKA_VERSION>` in KRaft mode. Kafka clients connect to the address the
 * broker advertises, so the client port is published on the *same* host port P and advertised as
 * `<docker host>:P`; the controller listener stays inside the container.
 */
export async function startKafkaContainer(options: { autoCreateTopics?: boolean } = {}): Promise<ProvidedKafka> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = loadTestcontainers();
  const started = Date.now();
  const host = ipv4((await getContainerRuntimeClient()).info.containerRuntime.host);
  // Free on this machine; for a remote engine it is only a good guess, like any fixed port.
  const port = await freePort();
  const settings = brokerSettings({
    port,
    controllerPort: 9093,
    listenHost: '0.0.0.0',
    advertisedHost: host,
    logDirs: '/tmp/kraft-combined-logs',
    autoCreateTopics: options.autoCreateTopics,
  });
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withEnvironment({ ...toContainerEnvironment(settings), CLUSTER_ID: randomClusterId(), KAFKA_HEAP_OPTS: '-Xmx512m -Xms256m' })
    .withExposedPorts({ container: port, host: port })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start();
  const brokers = `${host}:${port}`;
  try {
    // The log line comes just before the listener serves requests: wait for a real answer.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await probeKafka(brokers, 1_000);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
    return {
      brokers,
      version: KAFKA_VERSION,
      source: 'testcontainers',
      description: `container ${KAFKA_IMAGE} (KRaft) via testcontainers`,
      timings: { readyMs: Date.now() - started },
      stop: once(async () => {
        await container.stop();
      }),
    };
  } catch (error) {
    await container.stop();
    throw error;
  }
}

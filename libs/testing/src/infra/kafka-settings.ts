import { randomBytes } from 'node:crypto';

/**
 * The single-node KRaft broker the harness runs, as broker properties shared by the local JVM
 * (written to a .properties file) and the apache/kafka container (passed as KAFKA_* variables),
 * so both paths behave the same.
 */

/** The Kafka release of the jars (tools/kafka/pom.xml) and of the apache/kafka image tag. */
export const KAFKA_VERSION = '4.3.1';

export interface BrokerSettingsInput {
  /** Client port (PLAINTEXT listener). */
  readonly port: number;
  /** KRaft controller port (never advertised). */
  readonly controllerPort: number;
  /** Where the broker binds: 127.0.0.1 locally, 0.0.0.0 inside a container. */
  readonly listenHost: string;
  /** The host clients are told to connect to. */
  readonly advertisedHost: string;
  readonly logDirs: string;
  /** `auto.create.topics.enable`; default true (see README: "Why topics are auto-created"). */
  readonly autoCreateTopics?: boolean;
}

/** Broker properties for one combined broker+controller node, tuned for fast tests. */
export function brokerSettings(input: BrokerSettingsInput): Record<string, string> {
  const { port, controllerPort, listenHost, advertisedHost } = input;
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://${listenHost}:${port},CONTROLLER://${listenHost}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${advertisedHost}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': input.logDirs,
    'num.partitions': '1',
    'auto.create.topics.enable': String(input.autoCreateTopics ?? true),
    // One node: every internal topic must have replication factor 1, or it is never created and
    // consumer groups / transactions hang (PITFALLS.md).
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // Fast tests: no 3 s wait before the first rebalance, and a single partition for the internal
    // topics (the default 50 __consumer_offsets partitions cost ~1 s when the first group joins).
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.num.partitions': '1',
    // Lets a test give its consumers a short session, so a SIGKILLed consumer's partitions move
    // quickly; it only widens the allowed range, clients still default to their own values.
    'group.min.session.timeout.ms': '1000',
    // A broker killed and started again (the chaos test) registers a new incarnation, which the
    // controller accepts only once the old one's session has timed out: 9 s by default, which
    // made every restart of this single node take 13–15 s instead of 4–5 s.
    'broker.session.timeout.ms': '3000',
    'broker.heartbeat.interval.ms': '500',
    // Sized for a 2-core machine.
    'num.network.threads': '2',
    'num.io.threads': '2',
    'num.recovery.threads.per.data.dir': '1',
    'background.threads': '2',
  };
}

/** The `.properties` text for `settings`. */
export function toPropertiesFile(settings: Record<string, string>): string {
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value.replace(/\\/g, '\\\\')}`)
    .join('\n')}\n`;
}

/**
 * The apache/kafka image's environment form of `settings` (its docker/examples README): `KAFKA_` +
 * the property name upper-cased, with `.` -> `_`, `_` -> `__` and `-` -> `___`.
 */
export function toContainerEnvironment(settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    // Existing underscores are doubled first, so the single ones added for dots stay distinct.
    const name = key.replace(/_/g, '__').replace(/-/g, '___').replace(/\./g, '_').toUpperCase();
    env[`KAFKA_${name}`] = value;
  }
  return env;
}

/**
 * A Kafka cluster id as StorageTool random-uuid makes one: 16 random bytes, base64url. Made here
 * rather than by running StorageTool, which would cost a JVM start (~0.7 s) on every run.
 */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka refuses ids that look like command-line options
  }
}

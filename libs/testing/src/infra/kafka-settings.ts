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
  /** Extra client listeners with TLS and SASL; none when absent. */
  readonly security?: BrokerSecurityInput;
}

/**
 * Three more client listeners beside PLAINTEXT, for tests of TLS and SASL. The inter-broker and
 * controller listeners stay PLAINTEXT, so the node needs no credentials of its own.
 */
export interface BrokerSecurityInput {
  /** `SSL` listener: TLS, and the client must present a certificate the truststore's CA signed. */
  readonly sslPort: number;
  /** `SASL_PLAINTEXT` listener: SASL PLAIN and SCRAM-SHA-512, no TLS. */
  readonly saslPort: number;
  /** `SASL_SSL` listener: TLS (no client certificate) with SASL PLAIN and SCRAM-SHA-512. */
  readonly saslSslPort: number;
  /** PEM file holding the broker's unencrypted PKCS#8 private key and its certificate chain. */
  readonly keystoreFile: string;
  /** PEM file of the CA that client certificates must be signed by. */
  readonly truststoreFile: string;
  /** The users SASL PLAIN accepts, name to password (SCRAM users are stored when the log dir is formatted). */
  readonly plainUsers: Readonly<Record<string, string>>;
}

const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-512'] as const;

/** Broker properties for one combined broker+controller node, tuned for fast tests. */
export function brokerSettings(input: BrokerSettingsInput): Record<string, string> {
  const { port, controllerPort, listenHost, advertisedHost, security } = input;
  // Each client listener is named after its security protocol, so the protocol map is the identity.
  const clientListeners: ReadonlyArray<readonly [string, number]> = [
    ['PLAINTEXT', port],
    ...(security === undefined
      ? []
      : ([
          ['SSL', security.sslPort],
          ['SASL_PLAINTEXT', security.saslPort],
          ['SASL_SSL', security.saslSslPort],
        ] as const)),
  ];
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: [...clientListeners.map(([name, at]) => `${name}://${listenHost}:${at}`), `CONTROLLER://${listenHost}:${controllerPort}`].join(','),
    'advertised.listeners': clientListeners.map(([name, at]) => `${name}://${advertisedHost}:${at}`).join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': [...clientListeners.map(([name]) => `${name}:${name}`), 'CONTROLLER:PLAINTEXT'].join(','),
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
    ...(security === undefined ? {} : securitySettings(security)),
  };
}

/** TLS material and SASL logins of the extra listeners; the listeners themselves are in brokerSettings. */
function securitySettings(security: BrokerSecurityInput): Record<string, string> {
  const plainUsers = Object.entries(security.plainUsers)
    .map(([name, password]) => `user_${name}="${password}"`)
    .join(' ');
  const settings: Record<string, string> = {
    // Kafka reads PEM directly (KIP-651): no keytool, no JKS passwords.
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': security.keystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': security.truststoreFile,
    'listener.name.ssl.ssl.client.auth': 'required',
    'sasl.enabled.mechanisms': SASL_MECHANISMS.join(','),
  };
  for (const listener of ['sasl_plaintext', 'sasl_ssl']) {
    settings[`listener.name.${listener}.plain.sasl.jaas.config`] = `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`;
    // SCRAM credentials live in the cluster metadata; the login module only has to be named.
    settings[`listener.name.${listener}.scram-sha-512.sasl.jaas.config`] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  }
  return settings;
}

/**
 * StorageTool `format` arguments that store SCRAM-SHA-512 credentials in the new cluster's
 * metadata (KIP-900), so they exist before the broker first starts. Names and passwords must not
 * hold `,`, `[`, `]` or `=`, which the argument's syntax uses.
 */
export function scramFormatArguments(users: Readonly<Record<string, string>>): string[] {
  return Object.entries(users).flatMap(([name, password]) => {
    if (/[,=[\]"]/.test(name + password)) throw new Error(`SCRAM user ${name}: names and passwords must not contain , = [ ] or "`);
    return ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`];
  });
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

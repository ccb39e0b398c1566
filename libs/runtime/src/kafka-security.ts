import type { FieldIssue } from '@parc/errors';
import type { KafkaSaslMechanism, KafkaSaslOptions, KafkaTlsOptions } from '@parc/kafka';
import { field, invalidConfiguration, type ConfigOf } from '@parc/service-kit';

/** TLS and SASL to the Kafka brokers (a managed Kafka); part of kafkaSpec. */
export const kafkaSecuritySpec = {
  kafkaTls: field.boolean({
    env: 'KAFKA_TLS',
    default: false,
    description:
      "Connect to the Kafka brokers over TLS (also on when any KAFKA_TLS_*_FILE is set). Their certificate is checked against the public CAs Node trusts, or against KAFKA_TLS_CA_FILE.",
  }),
  kafkaTlsCaFile: field.string({
    env: 'KAFKA_TLS_CA_FILE',
    optional: true,
    description: "PEM file of the CA certificate(s) the brokers' certificates must chain to, instead of the public CAs (read once at start).",
  }),
  kafkaTlsCertFile: field.string({
    env: 'KAFKA_TLS_CERT_FILE',
    optional: true,
    description: 'PEM file of the client certificate, for brokers that require mutual TLS; needs KAFKA_TLS_KEY_FILE (read once at start).',
  }),
  kafkaTlsKeyFile: field.string({
    env: 'KAFKA_TLS_KEY_FILE',
    optional: true,
    description: "PEM file of KAFKA_TLS_CERT_FILE's private key, unencrypted (read once at start).",
  }),
  kafkaTlsRejectUnauthorized: field.boolean({
    env: 'KAFKA_TLS_REJECT_UNAUTHORIZED',
    default: true,
    description: "Refuse brokers whose certificate does not verify. false is for trials only: anyone in between can then read the traffic and the SASL password.",
  }),
  kafkaSaslMechanism: field.enum({
    env: 'KAFKA_SASL_MECHANISM',
    values: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const,
    default: 'none',
    description: 'SASL authentication to the brokers. plain sends the password itself: use it only with TLS.',
  }),
  kafkaSaslUsername: field.string({
    env: 'KAFKA_SASL_USERNAME',
    optional: true,
    description: 'SASL user name; required when KAFKA_SASL_MECHANISM is not none.',
  }),
  kafkaSaslPassword: field.secret({
    env: 'KAFKA_SASL_PASSWORD',
    optional: true,
    description: 'SASL password; required when KAFKA_SASL_MECHANISM is not none.',
  }),
};

export type KafkaSecurityConfig = ConfigOf<typeof kafkaSecuritySpec>;

/** What the Kafka backend takes for TLS and SASL (KafkaBackendOptions' fields of the same names). */
export interface KafkaSecurityOptions {
  readonly tls?: KafkaTlsOptions;
  readonly sasl?: KafkaSaslOptions;
  /** Ends the backend's QUEUE_AUTH_FAILED message: the variables to check. */
  readonly credentialsHint?: string;
}

/** Reads a whole text file; throws (an ENOENT, an EACCES, …) when it cannot. */
export type ReadTextFile = (path: string) => string;

const MECHANISMS: Readonly<Record<Exclude<KafkaSecurityConfig['kafkaSaslMechanism'], 'none'>, KafkaSaslMechanism>> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};

const CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

/**
 * The Kafka backend's TLS and SASL options from the parsed config, with the PEM files read through
 * `readTextFile` (the only I/O, so tests pass a map). Checks what one variable alone cannot: files
 * that cannot be read or hold no PEM, a certificate without its key, SASL without credentials.
 * @throws ParcError CONFIG_INVALID naming every variable at fault.
 */
export function kafkaSecurityOptions(config: KafkaSecurityConfig, readTextFile: ReadTextFile): KafkaSecurityOptions {
  const problems: FieldIssue[] = [];
  const tls = tlsOptions(config, readTextFile, problems);
  const sasl = saslOptions(config, problems);
  if (problems.length > 0) throw invalidConfiguration(problems);
  return {
    ...(tls === undefined ? {} : { tls }),
    ...(sasl === undefined ? {} : { sasl, credentialsHint: 'check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM' }),
  };
}

function tlsOptions(config: KafkaSecurityConfig, readTextFile: ReadTextFile, problems: FieldIssue[]): KafkaTlsOptions | undefined {
  const { kafkaTlsCaFile: caFile, kafkaTlsCertFile: certFile, kafkaTlsKeyFile: keyFile } = config;
  if (!config.kafkaTls && caFile === undefined && certFile === undefined && keyFile === undefined) return undefined;
  const pem = (env: string, path: string | undefined, pattern: RegExp, what: string): string | undefined => {
    if (path === undefined) return undefined;
    let text: string;
    try {
      text = readTextFile(path);
    } catch (error) {
      problems.push({ path: env, message: `cannot read ${path} (${describeFileError(error)})` });
      return undefined;
    }
    if (!pattern.test(text)) problems.push({ path: env, message: `${path} holds no PEM ${what}` });
    return text;
  };
  const ca = pem('KAFKA_TLS_CA_FILE', caFile, CERTIFICATE, 'certificate');
  const cert = pem('KAFKA_TLS_CERT_FILE', certFile, CERTIFICATE, 'certificate');
  const key = pem('KAFKA_TLS_KEY_FILE', keyFile, PRIVATE_KEY, 'private key');
  if (certFile !== undefined && keyFile === undefined) {
    problems.push({ path: 'KAFKA_TLS_KEY_FILE', message: 'is required when KAFKA_TLS_CERT_FILE is set (a client certificate needs its private key)' });
  }
  if (keyFile !== undefined && certFile === undefined) {
    problems.push({ path: 'KAFKA_TLS_CERT_FILE', message: 'is required when KAFKA_TLS_KEY_FILE is set (the private key needs its certificate)' });
  }
  if (key?.includes('ENCRYPTED') === true) {
    problems.push({ path: 'KAFKA_TLS_KEY_FILE', message: `${keyFile} holds an encrypted key; give the key unencrypted (there is no passphrase variable)` });
  }
  return {
    rejectUnauthorized: config.kafkaTlsRejectUnauthorized,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

function saslOptions(config: KafkaSecurityConfig, problems: FieldIssue[]): KafkaSaslOptions | undefined {
  const { kafkaSaslMechanism: mechanism, kafkaSaslUsername: username, kafkaSaslPassword: password } = config;
  if (mechanism === 'none') {
    // Credentials without a mechanism would be ignored, and the broker would refuse the connection
    // with an error that does not say why.
    const given = [username === undefined ? undefined : 'KAFKA_SASL_USERNAME', password === undefined ? undefined : 'KAFKA_SASL_PASSWORD'].filter((name) => name !== undefined);
    if (given.length > 0) {
      problems.push({ path: 'KAFKA_SASL_MECHANISM', message: `is none, but ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} set: set the mechanism the brokers use (plain, scram-sha-256 or scram-sha-512)` });
    }
    return undefined;
  }
  if (username === undefined) problems.push({ path: 'KAFKA_SASL_USERNAME', message: `is required when KAFKA_SASL_MECHANISM is ${mechanism}` });
  if (password === undefined) problems.push({ path: 'KAFKA_SASL_PASSWORD', message: `is required when KAFKA_SASL_MECHANISM is ${mechanism}` });
  if (username === undefined || password === undefined) return undefined;
  return { mechanism: MECHANISMS[mechanism], username, password: password.reveal() };
}

function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'a directory';
  return error instanceof Error ? error.message : String(error);
}

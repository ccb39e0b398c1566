import { isParcError } from '@parc/errors';
import { createLogger, parseConfig, type Env } from '@parc/service-kit';
import { startLocalKafka, type SecureLocalKafkaBroker } from '@parc/testing';
import { connectKafka, kafkaSpec } from './infrastructure';

// From the environment a service reads to a Kafka backend (connectKafka), against a broker of its
// own with TLS and SASL listeners. libs/kafka/src/kafka-security.int.spec.ts covers the backend's
// round trips; this file covers the variables.
let broker: SecureLocalKafkaBroker;
const logger = createLogger({ service: 'kafka-security-spec', level: 'silent' });

beforeAll(async () => {
  broker = await startLocalKafka({ security: true });
}, 120_000);

afterAll(async () => {
  await broker?.stop();
});

/** Pings the brokers through a backend built from `env`: undefined when it answered, else the ParcError's code and message. */
async function pingWith(env: Env): Promise<{ code: string; message: string } | undefined> {
  const backend = connectKafka(parseConfig(kafkaSpec, env), 'kafka-security-spec', logger);
  try {
    await backend.ping();
    return undefined;
  } catch (error) {
    if (isParcError(error)) return { code: error.code, message: error.message };
    throw error;
  } finally {
    await backend.close();
  }
}

describe('Kafka TLS and SASL from the environment', () => {
  it('connects with mutual TLS from KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE', async () => {
    const { files } = broker.security;
    expect(
      await pingWith({ KAFKA_BROKERS: broker.tlsBrokers, KAFKA_TLS_CA_FILE: files.ca, KAFKA_TLS_CERT_FILE: files.clientCert, KAFKA_TLS_KEY_FILE: files.clientKey }),
    ).toBeUndefined();
  });

  it('connects with KAFKA_TLS, KAFKA_TLS_CA_FILE and SCRAM-SHA-512 credentials', async () => {
    const { files, users } = broker.security;
    expect(
      await pingWith({
        KAFKA_BROKERS: broker.saslTlsBrokers,
        KAFKA_TLS: 'true',
        KAFKA_TLS_CA_FILE: files.ca,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: users.scram.username,
        KAFKA_SASL_PASSWORD: users.scram.password,
      }),
    ).toBeUndefined();
  });

  it('tells a refused SCRAM password as QUEUE_AUTH_FAILED naming the variables to check, never the password', async () => {
    const { username } = broker.security.users.scram;
    const refusal = await pingWith({
      KAFKA_BROKERS: broker.saslBrokers,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: username,
      KAFKA_SASL_PASSWORD: 'not-the-password',
    });
    expect(refusal?.code).toBe('QUEUE_AUTH_FAILED');
    expect(refusal?.message).toContain(username);
    expect(refusal?.message).toContain('KAFKA_SASL_PASSWORD');
    expect(refusal?.message).not.toContain('not-the-password');
  });
});

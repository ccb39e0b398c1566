import { randomUUID } from 'node:crypto';
import { isParcError } from '@parc/errors';
import { startLocalKafka, waitFor, type SecureLocalKafkaBroker } from '@parc/testing';
import { KafkaBackend, type KafkaBackendOptions } from './kafka-backend';

// Its own broker, with SSL (client certificate required), SASL_PLAINTEXT and SASL_SSL listeners
// beside PLAINTEXT: the shared broker of the run has PLAINTEXT only.
let broker: SecureLocalKafkaBroker;

beforeAll(async () => {
  broker = await startLocalKafka({ security: true });
}, 120_000);

afterAll(async () => {
  await broker?.stop();
});

type ConnectOptions = Omit<KafkaBackendOptions, 'clientId'>;

function backendFor(options: ConnectOptions): KafkaBackend {
  return new KafkaBackend({ clientId: 'parc-security-test', clientLogLevel: 'nothing', sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, ...options });
}

/** Creates a topic, publishes one message and consumes it back, all through `options`. */
async function roundTrip(options: ConnectOptions): Promise<string[]> {
  const backend = backendFor(options);
  const topic = `security-${randomUUID()}`;
  const received: string[] = [];
  try {
    await backend.ensureQueue(topic);
    await backend.publish(topic, [{ payload: `through ${options.brokers.join(',')}`, key: 'k' }]);
    const consumer = await backend.consume({
      queue: topic,
      group: `group-${topic}`,
      batchSize: 10,
      handler: async (batch) => {
        received.push(...batch.map((delivery) => delivery.payload));
      },
    });
    try {
      await waitFor('the published message to be consumed', () => received.length > 0, 30_000);
    } finally {
      await consumer.close();
    }
  } finally {
    await backend.close();
  }
  return received;
}

/** What `ping()` (a Metadata request) fails with: its code, message and the codes of the errors it wraps. */
async function refusal(options: ConnectOptions): Promise<{ code: string; message: string; causes: string[] }> {
  const backend = backendFor({ ...options, connectionTimeoutMs: 2_000 });
  try {
    await backend.ping();
  } catch (error) {
    if (isParcError(error)) return { code: error.code, message: error.message, causes: nestedCodes(error.cause) };
    throw error;
  } finally {
    await backend.close();
  }
  throw new Error('the broker accepted the connection');
}

/**
 * The `code` of every error inside `error` (causes and aggregated errors). Duck-typed: Node's own
 * errors (TLS) come from outside Jest's sandbox, so `instanceof Error` is false for them here.
 */
function nestedCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 8) return [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  return [
    ...(typeof code === 'string' ? [code] : []),
    ...nestedCodes(cause, depth + 1),
    ...(Array.isArray(errors) ? errors.flatMap((item) => nestedCodes(item, depth + 1)) : []),
  ];
}

describe('KafkaBackend over TLS and SASL (a broker of its own)', () => {
  it('publishes and consumes over TLS, checking the broker against the CA and presenting a client certificate', async () => {
    const { caPem, clientCertPem, clientKeyPem } = broker.security;
    expect(await roundTrip({ brokers: [broker.tlsBrokers], tls: { ca: caPem, cert: clientCertPem, key: clientKeyPem } })).toEqual([
      `through ${broker.tlsBrokers}`,
    ]);
  });

  it('publishes and consumes with SASL PLAIN', async () => {
    const { plain } = broker.security.users;
    expect(await roundTrip({ brokers: [broker.saslBrokers], sasl: { mechanism: 'PLAIN', ...plain } })).toEqual([`through ${broker.saslBrokers}`]);
  });

  it('publishes and consumes with SASL SCRAM-SHA-512', async () => {
    const { scram } = broker.security.users;
    expect(await roundTrip({ brokers: [broker.saslBrokers], sasl: { mechanism: 'SCRAM-SHA-512', ...scram } })).toEqual([
      `through ${broker.saslBrokers}`,
    ]);
  });

  it('publishes and consumes with SCRAM-SHA-512 over TLS (the usual managed Kafka)', async () => {
    const { scram } = broker.security.users;
    expect(
      await roundTrip({ brokers: [broker.saslTlsBrokers], tls: { ca: broker.security.caPem }, sasl: { mechanism: 'SCRAM-SHA-512', ...scram } }),
    ).toEqual([`through ${broker.saslTlsBrokers}`]);
  });

  it('reports a wrong SCRAM password as QUEUE_AUTH_FAILED, naming the user and ending with the credentials hint', async () => {
    const { username } = broker.security.users.scram;
    const { code, message } = await refusal({
      brokers: [broker.saslBrokers],
      sasl: { mechanism: 'SCRAM-SHA-512', username, password: 'not-the-password' },
      credentialsHint: 'check PARC_TEST_PASSWORD',
    });
    expect(code).toBe('QUEUE_AUTH_FAILED');
    expect(message).toContain(username);
    expect(message).not.toContain('not-the-password');
    expect(message.endsWith('check PARC_TEST_PASSWORD')).toBe(true);
  });

  it('refuses a broker whose certificate was not signed by the CA it was given', async () => {
    const { untrustedCaPem, users } = broker.security;
    const { code, causes } = await refusal({ brokers: [broker.saslTlsBrokers], tls: { ca: untrustedCaPem }, sasl: { mechanism: 'SCRAM-SHA-512', ...users.scram } });
    expect(code).toBe('QUEUE_UNAVAILABLE');
    // OpenSSL's code for a server certificate no trusted CA signed (the broker sends no chain).
    expect(causes).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });
});

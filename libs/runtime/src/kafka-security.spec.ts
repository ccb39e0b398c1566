import { isParcError, type FieldIssue } from '@parc/errors';
import { createLogger, parseConfig, type Env } from '@parc/service-kit';
import { connectKafka, kafkaSpec } from './infrastructure';
import { kafkaSecurityOptions, kafkaSecuritySpec, type KafkaSecurityOptions } from './kafka-security';

const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';
const EC_KEY = '-----BEGIN EC PRIVATE KEY-----\nkey\n-----END EC PRIVATE KEY-----\n';
const ENCRYPTED_KEY = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nkey\n-----END ENCRYPTED PRIVATE KEY-----\n';

/** The files the tests can read; any other path fails as a missing file does. */
const FILES: Readonly<Record<string, string>> = {
  '/tls/ca.pem': CA,
  '/tls/client.pem': CERT,
  '/tls/client.key': KEY,
  '/tls/client-ec.key': EC_KEY,
  '/tls/encrypted.key': ENCRYPTED_KEY,
  '/tls/client.der': '0\x82\x01\x0a',
};

function readFake(path: string): string {
  const text = FILES[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
  return text;
}

/** The options for `env`, or the variables CONFIG_INVALID names and its message. */
function optionsFor(env: Env): { options?: KafkaSecurityOptions; issues?: readonly FieldIssue[]; message?: string } {
  try {
    return { options: kafkaSecurityOptions(parseConfig(kafkaSecuritySpec, env), readFake) };
  } catch (error) {
    if (isParcError(error, 'CONFIG_INVALID')) return { issues: error.details, message: error.message };
    throw error;
  }
}

const HINT = 'check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM';

describe('kafkaSecurityOptions: accepted settings', () => {
  const cases: { name: string; env: Env; options: KafkaSecurityOptions }[] = [
    { name: 'nothing set: plain TCP, no SASL', env: {}, options: {} },
    { name: 'KAFKA_TLS=false and an empty file variable', env: { KAFKA_TLS: 'false', KAFKA_TLS_CA_FILE: '' }, options: {} },
    { name: 'KAFKA_TLS alone: the public CAs', env: { KAFKA_TLS: 'true' }, options: { tls: { rejectUnauthorized: true } } },
    { name: 'a CA file turns TLS on', env: { KAFKA_TLS_CA_FILE: '/tls/ca.pem' }, options: { tls: { rejectUnauthorized: true, ca: CA } } },
    {
      name: 'mutual TLS',
      env: { KAFKA_TLS: '1', KAFKA_TLS_CA_FILE: '/tls/ca.pem', KAFKA_TLS_CERT_FILE: '/tls/client.pem', KAFKA_TLS_KEY_FILE: '/tls/client.key' },
      options: { tls: { rejectUnauthorized: true, ca: CA, cert: CERT, key: KEY } },
    },
    {
      name: 'a client certificate with an EC key, without a CA file',
      env: { KAFKA_TLS_CERT_FILE: '/tls/client.pem', KAFKA_TLS_KEY_FILE: '/tls/client-ec.key' },
      options: { tls: { rejectUnauthorized: true, cert: CERT, key: EC_KEY } },
    },
    { name: 'certificate checks off', env: { KAFKA_TLS: 'true', KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' }, options: { tls: { rejectUnauthorized: false } } },
    { name: 'KAFKA_TLS_REJECT_UNAUTHORIZED alone does not turn TLS on', env: { KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' }, options: {} },
    {
      name: 'SASL PLAIN',
      env: { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 's3cret' },
      options: { sasl: { mechanism: 'PLAIN', username: 'alice', password: 's3cret' }, credentialsHint: HINT },
    },
    {
      name: 'SCRAM-SHA-256 over TLS',
      env: { KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'bob', KAFKA_SASL_PASSWORD: 'pw' },
      options: { tls: { rejectUnauthorized: true }, sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'pw' }, credentialsHint: HINT },
    },
    {
      name: 'SCRAM-SHA-512',
      env: { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'carol', KAFKA_SASL_PASSWORD: 'pw' },
      options: { sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'pw' }, credentialsHint: HINT },
    },
  ];

  it.each(cases)('$name', ({ env, options }) => {
    expect(optionsFor(env)).toEqual({ options });
  });
});

describe('kafkaSecurityOptions: refused settings name the variables at fault', () => {
  const cases: { name: string; env: Env; issues: FieldIssue[] }[] = [
    {
      name: 'an unreadable CA file',
      env: { KAFKA_TLS_CA_FILE: '/tls/missing.pem' },
      issues: [{ path: 'KAFKA_TLS_CA_FILE', message: 'cannot read /tls/missing.pem (no such file)' }],
    },
    {
      name: 'a CA file that is not PEM',
      env: { KAFKA_TLS_CA_FILE: '/tls/client.der' },
      issues: [{ path: 'KAFKA_TLS_CA_FILE', message: '/tls/client.der holds no PEM certificate' }],
    },
    {
      name: 'a key where the certificate should be',
      env: { KAFKA_TLS_CERT_FILE: '/tls/client.key', KAFKA_TLS_KEY_FILE: '/tls/client.key' },
      issues: [{ path: 'KAFKA_TLS_CERT_FILE', message: '/tls/client.key holds no PEM certificate' }],
    },
    {
      name: 'a certificate without its key',
      env: { KAFKA_TLS_CERT_FILE: '/tls/client.pem' },
      issues: [{ path: 'KAFKA_TLS_KEY_FILE', message: 'is required when KAFKA_TLS_CERT_FILE is set (a client certificate needs its private key)' }],
    },
    {
      name: 'a key without its certificate',
      env: { KAFKA_TLS: 'true', KAFKA_TLS_KEY_FILE: '/tls/client.key' },
      issues: [{ path: 'KAFKA_TLS_CERT_FILE', message: 'is required when KAFKA_TLS_KEY_FILE is set (the private key needs its certificate)' }],
    },
    {
      name: 'an encrypted key',
      env: { KAFKA_TLS_CERT_FILE: '/tls/client.pem', KAFKA_TLS_KEY_FILE: '/tls/encrypted.key' },
      issues: [{ path: 'KAFKA_TLS_KEY_FILE', message: '/tls/encrypted.key holds an encrypted key; give the key unencrypted (there is no passphrase variable)' }],
    },
    {
      name: 'a mechanism without user or password',
      env: { KAFKA_SASL_MECHANISM: 'scram-sha-512' },
      issues: [
        { path: 'KAFKA_SASL_USERNAME', message: 'is required when KAFKA_SASL_MECHANISM is scram-sha-512' },
        { path: 'KAFKA_SASL_PASSWORD', message: 'is required when KAFKA_SASL_MECHANISM is scram-sha-512' },
      ],
    },
    {
      name: 'a mechanism without password',
      env: { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: ' ' },
      issues: [{ path: 'KAFKA_SASL_PASSWORD', message: 'is required when KAFKA_SASL_MECHANISM is plain' }],
    },
    {
      name: 'credentials without a mechanism',
      env: { KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 's3cret' },
      issues: [
        {
          path: 'KAFKA_SASL_MECHANISM',
          message: 'is none, but KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are set: set the mechanism the brokers use (plain, scram-sha-256 or scram-sha-512)',
        },
      ],
    },
    {
      name: 'every problem at once',
      env: { KAFKA_TLS_CA_FILE: '/nope', KAFKA_TLS_KEY_FILE: '/tls/client.key', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'pw' },
      issues: [
        { path: 'KAFKA_TLS_CA_FILE', message: 'cannot read /nope (no such file)' },
        { path: 'KAFKA_TLS_CERT_FILE', message: 'is required when KAFKA_TLS_KEY_FILE is set (the private key needs its certificate)' },
        { path: 'KAFKA_SASL_USERNAME', message: 'is required when KAFKA_SASL_MECHANISM is plain' },
      ],
    },
  ];

  it.each(cases)('$name', ({ env, issues }) => {
    expect(optionsFor(env).issues).toEqual(issues);
  });

  it('says so in one message, as parseConfig does, without the password', () => {
    const { message } = optionsFor({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: 'hunter2', KAFKA_TLS_CERT_FILE: '/tls/client.pem' });
    expect(message).toBe(
      'Invalid configuration, 1 variable:\n  KAFKA_TLS_KEY_FILE: is required when KAFKA_TLS_CERT_FILE is set (a client certificate needs its private key)',
    );
  });

  it('leaves malformed single values to parseConfig', () => {
    expect(optionsFor({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' }).message).toContain(
      'KAFKA_SASL_MECHANISM: "SCRAM-SHA-512" is not one of none, plain, scram-sha-256, scram-sha-512',
    );
    expect(optionsFor({ KAFKA_TLS: 'yes' }).message).toContain('KAFKA_TLS: "yes" is not one of true, false, 1, 0');
  });
});

describe('connectKafka', () => {
  /** Builds (never connects) a backend from `env`; returns the warnings logged, or the CONFIG_INVALID message. */
  function connect(env: Env): { warnings?: string[]; error?: string } {
    const lines: string[] = [];
    const logger = createLogger({ service: 'spec', level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    try {
      void connectKafka(parseConfig(kafkaSpec, env), 'spec', logger).close();
    } catch (error) {
      if (isParcError(error, 'CONFIG_INVALID')) return { error: error.message };
      throw error;
    }
    return { warnings: lines.map((line) => (JSON.parse(line) as { msg: string }).msg) };
  }

  it('reads the files from disk: a missing one stops the service, naming the variable', () => {
    expect(connect({ KAFKA_TLS_CA_FILE: '/nonexistent/parc-ca.pem' }).error).toBe(
      'Invalid configuration, 1 variable:\n  KAFKA_TLS_CA_FILE: cannot read /nonexistent/parc-ca.pem (no such file)',
    );
  });

  it('warns when a password would cross the network in clear, or certificates go unchecked', () => {
    expect(connect({}).warnings).toEqual([]);
    expect(connect({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b' }).warnings).toEqual([
      'KAFKA_SASL_MECHANISM is plain without TLS: the password crosses the network as is (set KAFKA_TLS=true)',
    ]);
    expect(connect({ KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b' }).warnings).toEqual([]);
    expect(connect({ KAFKA_TLS: 'true', KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' }).warnings).toEqual([
      "KAFKA_TLS_REJECT_UNAUTHORIZED is false: the brokers' certificate is not checked",
    ]);
  });
});

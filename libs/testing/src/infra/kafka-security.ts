import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraUnavailableError } from './errors';
import { runCommand } from './process';

/**
 * The throw-away TLS material and SASL users of a broker started with `security: true`, made
 * with the `openssl` command line (EC P-256 keys: generated in milliseconds, and Kafka's PEM
 * keystore reads PKCS#8 EC keys). Everything is fresh for each broker and lives in its work dir.
 */

export interface KafkaUser {
  readonly username: string;
  readonly password: string;
}

/** Paths of the PEM files, for tests that go through the services' `KAFKA_TLS_*_FILE` variables. */
export interface KafkaSecurityFiles {
  readonly ca: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly untrustedCa: string;
}

export interface KafkaSecurityMaterial {
  /** The CA that signed the broker's certificate (SANs `localhost` and `127.0.0.1`) and the client's. */
  readonly caPem: string;
  /** A client certificate and its key: the SSL listener requires one. */
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  /** A CA that signed nothing the broker presents: a client trusting only it must refuse the broker. */
  readonly untrustedCaPem: string;
  readonly files: KafkaSecurityFiles;
  /** `plain` logs in with SASL PLAIN, `scram` with SCRAM-SHA-512; passwords are random per broker. */
  readonly users: { readonly plain: KafkaUser; readonly scram: KafkaUser };
}

/** What the broker itself needs: its keystore and truststore files. */
export interface BrokerTlsFiles {
  /** The broker's PKCS#8 key followed by its certificate (Kafka's PEM keystore file). */
  readonly keystore: string;
  /** The CA client certificates must chain to. */
  readonly truststore: string;
}

const VALIDITY_DAYS = '2';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Generates the CAs, the broker's and the client's certificates, and two users, into `dir/tls`. */
export async function createSecurityMaterial(dir: string, openssl = 'openssl'): Promise<{ material: KafkaSecurityMaterial; broker: BrokerTlsFiles }> {
  const tls = join(dir, 'tls');
  mkdirSync(tls, { recursive: true });
  const file = (name: string): string => join(tls, name);
  const run = (args: readonly string[]): Promise<void> => runOpenssl(openssl, args, tls);
  const issue = (name: string, subject: string, extensions: readonly string[], signer: readonly string[] = []): Promise<void> =>
    run([
      ...['req', '-x509', '-new', ...EC_KEY, '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`), '-days', VALIDITY_DAYS, '-subj', subject],
      ...signer,
      ...extensions.flatMap((extension) => ['-addext', extension]),
    ]);
  const selfSignedCa = (name: string, subject: string): Promise<void> =>
    issue(name, subject, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']);
  // OpenSSL 3's `req -x509 -CA` issues a CA-signed certificate in one step (no CSR, no serial file).
  const signedByCa = (name: string, subject: string, extensions: readonly string[]): Promise<void> =>
    issue(name, subject, ['basicConstraints=critical,CA:FALSE', ...extensions], ['-CA', file('ca.pem'), '-CAkey', file('ca.key')]);

  await Promise.all([selfSignedCa('ca', '/CN=parc-test-ca'), selfSignedCa('untrusted-ca', '/CN=parc-test-untrusted-ca')]);
  await Promise.all([
    signedByCa('server', '/CN=localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth']),
    signedByCa('client', '/CN=parc-test-client', ['extendedKeyUsage=clientAuth']),
  ]);

  const read = (name: string): string => readFileSync(file(name), 'utf8');
  const keystore = file('server-keystore.pem');
  writeFileSync(keystore, read('server.key') + read('server.pem'));
  const files: KafkaSecurityFiles = { ca: file('ca.pem'), clientCert: file('client.pem'), clientKey: file('client.key'), untrustedCa: file('untrusted-ca.pem') };
  return {
    material: {
      caPem: read('ca.pem'),
      clientCertPem: read('client.pem'),
      clientKeyPem: read('client.key'),
      untrustedCaPem: read('untrusted-ca.pem'),
      files,
      users: { plain: randomUser('parc-plain'), scram: randomUser('parc-scram') },
    },
    broker: { keystore, truststore: files.ca },
  };
}

/** A user with a random 32-hex-digit password: safe inside JAAS quotes and StorageTool's `[name=…,password=…]`. */
function randomUser(username: string): KafkaUser {
  return { username, password: randomBytes(16).toString('hex') };
}

async function runOpenssl(openssl: string, args: readonly string[], cwd: string): Promise<void> {
  let result;
  try {
    result = await runCommand(openssl, args, { cwd, timeoutMs: 30_000 });
  } catch (error) {
    throw new InfraUnavailableError(`The Kafka broker's TLS material needs the openssl command (${(error as Error).message}).`, { cause: error });
  }
  if (result.code !== 0) {
    throw new InfraUnavailableError(`openssl ${args.slice(0, 2).join(' ')} failed (exit code ${result.code}):\n${(result.stdout + result.stderr).trim()}`);
  }
}

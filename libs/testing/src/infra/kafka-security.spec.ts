import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecurityMaterial } from './kafka-security';

describe('createSecurityMaterial (runs openssl)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parc-kafka-security-spec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a CA-signed broker certificate for 127.0.0.1 and localhost, a client certificate, an unrelated CA and random users', async () => {
    const { material, broker } = await createSecurityMaterial(dir);
    const ca = new X509Certificate(material.caPem);
    const untrusted = new X509Certificate(material.untrustedCaPem);
    const keystore = readFileSync(broker.keystore, 'utf8');
    const server = new X509Certificate(keystore.slice(keystore.indexOf('-----BEGIN CERTIFICATE-----')));
    const client = new X509Certificate(material.clientCertPem);

    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.verify(untrusted.publicKey)).toBe(false);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(client.verify(ca.publicKey)).toBe(true);
    // Kafka's PEM keystore wants an unencrypted PKCS#8 key before the certificate.
    expect(keystore.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(client.checkPrivateKey(createPrivateKey(material.clientKeyPem))).toBe(true);
    expect(readFileSync(material.files.ca, 'utf8')).toBe(material.caPem);
    expect(broker.truststore).toBe(material.files.ca);

    expect(material.users.plain.username).not.toBe(material.users.scram.username);
    expect(material.users.plain.password).toMatch(/^[0-9a-f]{32}$/);
    const again = await createSecurityMaterial(join(dir, 'again'));
    expect(again.material.users.scram.password).not.toBe(material.users.scram.password);
    expect(again.material.caPem).not.toBe(material.caPem);
  });
});

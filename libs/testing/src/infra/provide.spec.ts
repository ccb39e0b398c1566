import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerEngineStatus } from './docker';
import { InfraUnavailableError } from './errors';
import { sourcesFromEnv, startInfrastructure } from './infrastructure';
import { provideKafka } from './kafka';
import { provideRedis, redactUrl } from './redis';

const noDocker: DockerEngineStatus = {
  available: false,
  endpoint: 'unix:///var/run/docker.sock',
  detail: 'DOCKER_HOST unset, /var/run/docker.sock absent',
};

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('when nothing can provide the services', () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'parc-provide-spec-'));
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('Kafka: says what is missing and how to fix it', async () => {
    const env = { PATH: '/nonexistent-parc' };
    const error = await provideKafka({ env, docker: noDocker, cacheDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraUnavailableError);
    expect((error as Error).message).toBe(
      'Cannot provide Kafka for the integration tests: KAFKA_BROKERS is not set, no Docker engine is reachable ' +
        '(DOCKER_HOST unset, /var/run/docker.sock absent), and Java 17+ / Maven were not found on PATH ' +
        '(java: not found, mvn: not found). Install openjdk-17-jre-headless and maven, or set KAFKA_BROKERS=host:port.',
    );
  });

  it('Redis: says what is missing and how to fix it', async () => {
    const error = await provideRedis({ env: { PATH: '/nonexistent-parc' }, docker: noDocker }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'Cannot provide Redis for the integration tests: REDIS_URL is not set, no Docker engine is reachable ' +
        '(DOCKER_HOST unset, /var/run/docker.sock absent), and redis-server: not found on PATH. ' +
        'Install redis-server 7+ (apt-get install redis-server), or set REDIS_URL=redis://host:port.',
    );
  });

  it('only tries the allowed sources', async () => {
    const error = await provideRedis({ env: {}, sources: ['env'] }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Cannot provide Redis for the integration tests: REDIS_URL is not set\. /);
  });
});

describe('REDIS_URL / KAFKA_BROKERS that do not answer', () => {
  it('fail naming the variable (with the password hidden) and do not fall back', async () => {
    const port = await closedPort();
    const redis = await provideRedis({ env: { REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` } }).catch((e: unknown) => e);
    expect((redis as Error).message).toMatch(
      new RegExp(`^Cannot provide Redis for the integration tests: REDIS_URL=redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} does not answer PING / INFO server \\(.*ECONNREFUSED`),
    );
    expect((redis as Error).message).not.toContain('hunter2');

    const kafka = await provideKafka({ env: { KAFKA_BROKERS: `127.0.0.1:${port}` } }).catch((e: unknown) => e);
    expect((kafka as Error).message).toMatch(
      new RegExp(`^Cannot provide Kafka for the integration tests: KAFKA_BROKERS=127\\.0\\.0\\.1:${port} does not answer a Metadata request \\(.*ECONNREFUSED`),
    );
  });

  it('startInfrastructure reports both failures', async () => {
    const port = await closedPort();
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, KAFKA_BROKERS: `127.0.0.1:${port}` };
    await expect(startInfrastructure({ env })).rejects.toThrow(/Cannot provide Redis[^]*\n\nCannot provide Kafka/);
  });
});

describe('redactUrl and sourcesFromEnv', () => {
  it('hides passwords only', () => {
    expect(redactUrl('redis://u:p@h:1/2')).toBe('redis://u:***@h:1/2');
    expect(redactUrl('redis://h:1')).toBe('redis://h:1');
  });

  it('maps PARC_TEST_INFRA to the ways tried', () => {
    expect(sourcesFromEnv(undefined)).toBeUndefined();
    expect(sourcesFromEnv('auto')).toBeUndefined();
    expect(sourcesFromEnv('local')).toEqual(['env', 'local']);
    expect(sourcesFromEnv('Docker')).toEqual(['env', 'testcontainers']);
    expect(() => sourcesFromEnv('k8s')).toThrow('PARC_TEST_INFRA=k8s is not one of auto, local, docker.');
  });
});

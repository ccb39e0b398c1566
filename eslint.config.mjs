import nx from '@nx/eslint-plugin';

/**
 * Module boundaries. Every project carries exactly one `type:*` tag (adapters also one
 * `client:*` tag); `tools/workspace.spec.ts` fails when a project lacks them.
 *
 *   type:app      apps/*: config -> build -> listen; wires adapters into stages
 *   type:runtime  wires a stage: config fields, backends, workers, lifecycle (apps + embedded mode)
 *   type:stage    a stage's pipeline logic (talks to queues through the port only)
 *   type:kit      the service kit: config, logging, metrics, health, shutdown
 *   type:io       outbound I/O that is not a queue: HTTP calls under the egress policy
 *   type:adapter  one queue backend each (client:redis | client:kafka | client:none)
 *   type:port     the queue port: the narrow interfaces the stages need
 *   type:domain   pure logic (envelope, backoff, errors): no I/O packages at all
 *   type:testing  test harness and helpers, imported by spec files only
 */
// kafkajs stays banned outside the Kafka adapter: it is a devDependency of the client benchmark only.
const QUEUE_CLIENTS = ['ioredis', '@platformatic/kafka', 'kafkajs'];
const IO_PACKAGES = [
  ...QUEUE_CLIENTS,
  'fastify',
  'fastify-plugin',
  '@fastify/*',
  'undici',
  'pino',
  'prom-client',
  'testcontainers',
];

const depConstraints = [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:runtime', 'type:kit', 'type:testing'],
    bannedExternalImports: QUEUE_CLIENTS,
  },
  {
    sourceTag: 'type:runtime',
    onlyDependOnLibsWithTags: ['type:stage', 'type:kit', 'type:io', 'type:adapter', 'type:port', 'type:domain', 'type:testing'],
    bannedExternalImports: QUEUE_CLIENTS,
  },
  {
    sourceTag: 'type:stage',
    onlyDependOnLibsWithTags: ['type:kit', 'type:io', 'type:port', 'type:domain', 'type:testing'],
    bannedExternalImports: QUEUE_CLIENTS,
  },
  {
    sourceTag: 'type:io',
    onlyDependOnLibsWithTags: ['type:domain', 'type:testing'],
    bannedExternalImports: [...QUEUE_CLIENTS, 'fastify', 'fastify-plugin', '@fastify/*', 'pino', 'prom-client'],
  },
  {
    sourceTag: 'type:kit',
    onlyDependOnLibsWithTags: ['type:domain'],
    bannedExternalImports: [...QUEUE_CLIENTS, 'undici'],
  },
  {
    sourceTag: 'type:adapter',
    onlyDependOnLibsWithTags: ['type:port', 'type:domain', 'type:testing'],
    bannedExternalImports: ['fastify', 'fastify-plugin', '@fastify/*', 'undici', 'pino', 'prom-client'],
  },
  { sourceTag: 'client:redis', bannedExternalImports: ['@platformatic/kafka', 'kafkajs'] },
  { sourceTag: 'client:kafka', bannedExternalImports: ['ioredis'] },
  { sourceTag: 'client:none', bannedExternalImports: QUEUE_CLIENTS },
  {
    sourceTag: 'type:port',
    onlyDependOnLibsWithTags: ['type:domain'],
    bannedExternalImports: IO_PACKAGES,
  },
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:domain'],
    bannedExternalImports: IO_PACKAGES,
  },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:port', 'type:domain'],
    bannedExternalImports: QUEUE_CLIENTS,
  },
];

const TEST_FILES = ['**/*.spec.ts', '**/*.fixture.ts', '**/jest.config.js'];

/**
 * Spec and fixture files of apps and of stage, runtime and io libs may also use an adapter (the memory one,
 * typically), so that stages are tested against a real implementation of the port rather than a
 * mock. Production files keep the strict constraints above.
 */
const testDepConstraints = depConstraints.map((constraint) =>
  ['type:app', 'type:stage', 'type:io', 'type:runtime'].includes(constraint.sourceTag) && constraint.onlyDependOnLibsWithTags
    ? { ...constraint, onlyDependOnLibsWithTags: [...new Set([...constraint.onlyDependOnLibsWithTags, 'type:adapter'])] }
    : constraint,
);
const boundaries = (constraints) => [
  'error',
  { enforceBuildableLibDependency: true, checkDynamicDependenciesExceptions: [], depConstraints: constraints },
];

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/tmp', '**/coverage'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': boundaries(testDepConstraints) },
  },
  {
    // Services log through pino; only the test harness and tools print directly.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/testing/**', ...TEST_FILES],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@parc/testing', message: 'The test harness is for spec files only.' }] },
      ],
    },
  },
  {
    // Config is parsed once per app (apps/*/src/config.ts) and passed down; libs never read it.
    files: ['libs/**/*.ts'],
    ignores: ['libs/testing/**', ...TEST_FILES],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Libs take options; only apps read the environment.' },
      ],
    },
  },
];

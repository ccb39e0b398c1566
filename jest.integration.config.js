// Integration tests (`*.int.spec.ts`) talk to a real Redis and a real Kafka broker. The global
// setup finds or starts them once per run (see libs/testing/README.md) and exports
// REDIS_URL and KAFKA_BROKERS to the test workers.
require('./tools/workspace/node-version.cjs').requireWorkspaceNode('The integration tests');

module.exports = {
  displayName: 'integration',
  preset: './jest.preset.js',
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tests', '<rootDir>/bench'],
  testMatch: ['**/*.int.spec.ts'],
  globalSetup: '<rootDir>/libs/testing/src/infra/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/infra/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/libs/testing/src/infra/integration-timeout.ts'],
  slowTestThreshold: 30,
};

// The container test (`npm run test:containers`, not part of `npm test`): builds the base images
// and the seven app images with Podman, as root, and runs them. Minutes on a first run, and it
// needs Podman: when Podman cannot run here, the test fails and says why (it never skips).
require('./tools/workspace/node-version.cjs').requireWorkspaceNode('The container test');

module.exports = {
  displayName: 'containers',
  preset: './jest.preset.js',
  rootDir: __dirname,
  roots: ['<rootDir>/tests/containers'],
  testMatch: ['**/*.containers.spec.ts'],
  // One worker: the builds share the machine's cores and Podman's storage.
  maxWorkers: 1,
  slowTestThreshold: 60,
};

// One run, one summary: every project's unit tests plus the integration project, whose
// global setup finds or starts a real Redis and a real Kafka broker.
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');
require('./tools/workspace/node-version.cjs').requireWorkspaceNode('The test suite');

const projectConfigs = ['apps', 'libs'].flatMap((dir) =>
  readdirSync(join(__dirname, dir))
    .map((name) => join(__dirname, dir, name, 'jest.config.js'))
    .filter((file) => existsSync(file)),
);

module.exports = {
  projects: [...projectConfigs, join(__dirname, 'tools/jest.config.js'), join(__dirname, 'bench/jest.config.js'), join(__dirname, 'jest.integration.config.js')],
};

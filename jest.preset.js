// Shared Jest settings for every project: SWC transpiles TypeScript (type checking is
// `npm run typecheck`'s job) and `@parc/*` imports resolve to the libs' sources, as in tsconfig.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const ESM_ONLY = ['cookie', '@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'socks-proxy-agent', 'agent-base', '@platformatic/kafka', '@platformatic/dynamic-buffer', '@platformatic/wasm-utils', 'scule'];

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias}$`] = path.join(__dirname, target);
}

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
    // Packages that ship only ESM, which Jest's CommonJS module system does not load as they are
    // (Node itself can: require(esm)): cookie 2, loaded by light-my-request, i.e. by every Fastify
    // inject(); @kubernetes/client-node 2.x, its OpenID client and its proxy agents (the
    // scheduler's Kubernetes driver).
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  clearMocks: true,
};

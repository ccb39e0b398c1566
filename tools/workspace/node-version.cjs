// The project runs on Node 24 LTS: the npm `node` package (a devDependency) puts it in
// node_modules/.bin, where npm scripts and npx find it before the system's node, so a machine
// with only an older Node and npm still builds, tests and benchmarks on 24. Running a script
// with the system node directly would test something users never run: refuse, and say why.
const REQUIRED_MAJOR = 24;

function requireWorkspaceNode(what) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= REQUIRED_MAJOR) return;
  throw new Error(
    `${what} needs Node ${REQUIRED_MAJOR} or newer, and this is Node ${process.versions.node} (${process.execPath}). ` +
      'Run it through npm (npm test, npm run …, npx …): npm puts node_modules/.bin first on PATH, where `npm ci` installed Node ' +
      `${REQUIRED_MAJOR} from the npm registry's \`node\` package.`,
  );
}

module.exports = { requireWorkspaceNode, REQUIRED_MAJOR };

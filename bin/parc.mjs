#!/usr/bin/env node
// `parc`, Parc's command-line client (libs/cli/README.md): `npx parc --help` in a checkout. It
// runs the TypeScript sources through tsx, as `npm start` does, so nothing needs building; the
// environment, the standard streams and fetch are handed to the lib, which reads none of them
// itself.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

// The workspace's path mapping (@parc/*) wherever parc is started from; tsx's CommonJS side
// (the lib's .ts files are CommonJS) reads the tsconfig from this variable only.
const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
process.env.TSX_TSCONFIG_PATH = tsconfig;
const { runCli } = await tsImport('../libs/cli/src/index.ts', { parentURL: import.meta.url, tsconfig });
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// `parc results … | head`: a reader that went away is the end of the output, not a failure.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  fetch: globalThis.fetch,
  version,
});

// `npm run lint`: ESLint over the whole workspace in one process. The Nx module-boundaries rule
// reads the cached project graph and is silently skipped when there is none (a fresh clone), so
// the graph is built first. Exits non-zero on any error or warning.
import { ESLint } from 'eslint';
import { createProjectGraphAsync } from '@nx/devkit';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
process.chdir(root);
await createProjectGraphAsync({ exitOnError: true });
const eslint = new ESLint({ cwd: root });
const results = await eslint.lintFiles(['.']);
const formatter = await eslint.loadFormatter('stylish');
const output = await formatter.format(results);
const errors = results.reduce((sum, r) => sum + r.errorCount, 0);
const warnings = results.reduce((sum, r) => sum + r.warningCount, 0);
if (output) process.stdout.write(output);
process.stdout.write(`lint: ${results.length} files, ${errors} errors, ${warnings} warnings\n`);
process.exitCode = errors + warnings > 0 ? 1 : 0;

// Lints source snippets as if they were files at given paths, with the workspace's real ESLint
// config, and prints the messages as JSON. Runs in its own process because ESLint loads its
// flat config with import(), which Jest's module sandbox does not support.
// stdin: [{ "filePath": "libs/x/src/probe.ts", "code": "..." }] (paths relative to the root)
import { ESLint } from 'eslint';
import { createProjectGraphAsync } from '@nx/devkit';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';

const root = resolve(import.meta.dirname, '../..');
process.chdir(root);
// The boundaries rule reads the cached project graph and is silently skipped without one.
await createProjectGraphAsync({ exitOnError: true });
const eslint = new ESLint({ cwd: root });
const cases = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const { filePath, code } of cases) {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, filePath) });
  results.push({ filePath, messages: result.messages.map(({ ruleId, message, severity }) => ({ ruleId, message, severity })) });
}
process.stdout.write(JSON.stringify(results));

import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(__dirname, '../../../..');

/**
 * Bundles apps as their production build does (esbuild, CommonJS for Node 20, libs inlined,
 * npm packages left to node_modules) into a fresh directory under the repository's tmp/, so
 * that their packages resolve from its node_modules. Returns the directory: `<dir>/<app>/main.js`.
 * For tests that measure how fast instances start: from sources through tsx each compiles its
 * whole graph first (1–2 s of CPU), a bundle starts in 0.5–1 s as in an image.
 */
export async function bundleApps(apps: readonly string[]): Promise<string> {
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'tmp', 'bundles-'));
  await Promise.all(
    apps.map((app) =>
      build({
        entryPoints: [join(ROOT, 'apps', app, 'src', 'main.ts')],
        outfile: join(dir, app, 'main.js'),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        packages: 'external',
        tsconfig: join(ROOT, 'tsconfig.base.json'),
        sourcemap: true,
        logLevel: 'warning',
      }),
    ),
  );
  return dir;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const ROOT = join(__dirname, '../..');

/** One service of docker-compose.yml, as far as the checks look at it. */
export interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly args?: Record<string, string> };
  readonly ports?: readonly unknown[];
  readonly environment?: Record<string, string>;
  readonly healthcheck?: { readonly test?: unknown };
  readonly depends_on?: Record<string, { readonly condition?: string }>;
}

export interface ComposeFile {
  readonly services: Record<string, ComposeService>;
  readonly [key: string]: unknown;
}

/** docker-compose.yml with YAML merge keys (`<<: *app`) resolved, as Compose reads it. */
export function readCompose(): ComposeFile {
  return parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

/** The apps of the workspace: every directory under apps/ with a project.json. */
export function workspaceApps(): string[] {
  const { readdirSync, existsSync } = require('node:fs') as typeof import('node:fs');
  return readdirSync(join(ROOT, 'apps')).filter((name) => existsSync(join(ROOT, 'apps', name, 'project.json')));
}

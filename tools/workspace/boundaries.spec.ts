import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');

interface ProjectFile {
  name: string;
  projectType: 'application' | 'library';
  tags: string[];
}

const projects: (ProjectFile & { dir: string })[] = ['apps', 'libs'].flatMap((kind) =>
  readdirSync(join(root, kind))
    .filter((name) => existsSync(join(root, kind, name, 'project.json')))
    .map((name) => ({ ...(JSON.parse(readFileSync(join(root, kind, name, 'project.json'), 'utf8')) as ProjectFile), dir: `${kind}/${name}` })),
);

describe('workspace projects', () => {
  it.each(projects.map((p) => [p.dir, p] as const))('%s has exactly one type tag (and adapters one client tag)', (_dir, project) => {
    const types = project.tags.filter((tag) => tag.startsWith('type:'));
    expect(types).toHaveLength(1);
    expect(types[0] === 'type:app').toBe(project.projectType === 'application');
    const clients = project.tags.filter((tag) => tag.startsWith('client:'));
    expect(clients).toHaveLength(types[0] === 'type:adapter' ? 1 : 0);
  });
});

interface LintCase {
  readonly name: string;
  readonly filePath: string;
  readonly code: string;
  /** Rule expected to report an error; undefined means the snippet must lint clean. */
  readonly rule?: string;
}

const probe = (dir: string): string => `${dir}/src/boundary-probe.ts`;
const lintCases: LintCase[] = [
  { name: 'a domain lib imports ioredis', filePath: probe('libs/backoff'), code: "import { Redis } from 'ioredis';\nexport const x = Redis;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'a domain lib imports the Kafka client', filePath: probe('libs/envelope'), code: "import { Producer } from '@platformatic/kafka';\nexport const x = Producer;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'the port imports ioredis', filePath: probe('libs/queue'), code: "import { Redis } from 'ioredis';\nexport const x = Redis;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'the memory adapter imports ioredis', filePath: probe('libs/memory'), code: "import { Redis } from 'ioredis';\nexport const x = Redis;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'the Redis adapter imports the Kafka client', filePath: probe('libs/redis'), code: "import { Producer } from '@platformatic/kafka';\nexport const x = Producer;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'the Kafka adapter imports ioredis', filePath: probe('libs/kafka'), code: "import { Redis } from 'ioredis';\nexport const x = Redis;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'the test harness imports the Kafka client', filePath: probe('libs/testing'), code: "import { Producer } from '@platformatic/kafka';\nexport const x = Producer;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'the service kit imports ioredis', filePath: probe('libs/service-kit'), code: "import { Redis } from 'ioredis';\nexport const x = Redis;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'an app imports ioredis directly', filePath: probe('apps/proxy'), code: "import { Redis } from 'ioredis';\nexport const x = Redis;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'an adapter imports another adapter', filePath: probe('libs/redis'), code: "import { MemoryBackend } from '@parc/memory';\nexport const x = MemoryBackend;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'an app imports another app', filePath: probe('apps/proxy'), code: "import * as other from '../../scheduler/src/main';\nexport const x = other;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'production code imports the test harness', filePath: probe('libs/redis'), code: "import { waitFor } from '@parc/testing';\nexport const x = waitFor;\n", rule: 'no-restricted-imports' },
  { name: 'a lib reads process.env', filePath: probe('libs/queue'), code: "export const x = process.env['X'];\n", rule: 'no-restricted-properties' },
  { name: 'a lib logs with console', filePath: probe('libs/queue'), code: "console.log('x');\n", rule: 'no-console' },
  { name: 'a stage lib imports an adapter', filePath: probe('libs/pipeline'), code: "import { MemoryBackend } from '@parc/memory';\nexport const x = MemoryBackend;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'an app imports a stage lib directly (apps go through the runtime)', filePath: probe('apps/parc-caller'), code: "import { startParcCaller } from '@parc/pipeline';\nexport const x = startParcCaller;\n", rule: '@nx/enforce-module-boundaries' },
  { name: 'a stage spec runs on the memory adapter', filePath: 'libs/pipeline/src/boundary-probe.spec.ts', code: "import { MemoryBackend } from '@parc/memory';\nexport const x = MemoryBackend;\n" },
  { name: 'the Redis adapter imports ioredis', filePath: probe('libs/redis'), code: "import { Redis } from 'ioredis';\nexport const x = Redis;\n" },
  { name: 'the Kafka adapter imports its client', filePath: probe('libs/kafka'), code: "import { Producer } from '@platformatic/kafka';\nexport const x = Producer;\n" },
  { name: 'a spec file imports the test harness', filePath: 'libs/redis/src/boundary-probe.spec.ts', code: "import { waitFor } from '@parc/testing';\nexport const x = waitFor;\n" },
];

describe('module boundaries are enforced by lint', () => {
  let results: Map<string, { ruleId: string | null; message: string; severity: number }[]>;

  beforeAll(() => {
    const output = execFileSync(process.execPath, [join(__dirname, 'lint-probe.mjs')], {
      input: JSON.stringify(lintCases.map(({ filePath, code }) => ({ filePath, code }))),
      env: { ...process.env, NX_DAEMON: 'false' },
      encoding: 'utf8',
    });
    const parsed = JSON.parse(output) as { messages: { ruleId: string | null; message: string; severity: number }[] }[];
    results = new Map(lintCases.map((c, i) => [c.name, parsed[i]?.messages ?? []]));
  }, 120_000);

  it.each(lintCases.map((c) => [c.name, c] as const))('%s', (name, lintCase) => {
    const errors = (results.get(name) ?? []).filter((m) => m.severity === 2);
    if (lintCase.rule) expect(errors.map((e) => e.ruleId)).toContain(lintCase.rule);
    else expect(errors).toEqual([]);
  });
});

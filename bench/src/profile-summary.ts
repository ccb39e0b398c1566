/**
 * Summarises V8 CPU profiles (`*.cpuprofile`, as `npm run bench -- --profile <dir>` writes them):
 * per file, the total sampled time and the functions with the most self time, with their source
 * location, so that the biggest costs of each process are visible without a profiler UI.
 *
 *   node --import tsx bench/src/profile-summary.ts <dir> [top=25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '~/').replace(/.*\/dist\/apps\//, 'dist/');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

function summarise(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map<string, number>();
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (node) hits.set(frameName(node), (hits.get(frameName(node)) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const durationMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = durationMs / Math.max(1, total);
  const idle = hits.get('(idle)') ?? 0;
  const lines = [...hits.entries()]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, count]) => `  ${((count * msPerSample) / 1000).toFixed(2).padStart(7)} s ${((count / Math.max(1, total - idle)) * 100).toFixed(1).padStart(5)} %  ${name}`);
  return [`${file}: ${(durationMs / 1000).toFixed(1)} s profiled, ${(((total - idle) * msPerSample) / 1000).toFixed(2)} s busy`, ...lines].join('\n');
}

const [dir, topText] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node --import tsx bench/src/profile-summary.ts <dir with .cpuprofile files> [top]\n');
  process.exit(2);
}
const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
for (const name of files) process.stdout.write(`${summarise(join(dir, name), Number(topText ?? 25))}\n\n`);

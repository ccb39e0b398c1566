import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import type { RunStamp } from './results';

const ROOT = join(__dirname, '../..');

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function redisVersion(): string {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=([\d.]+)/)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Machine, versions and commit of this run. */
export function runStamp(matrix: 'quick' | 'full', label: string): RunStamp {
  return {
    startedAt: new Date().toISOString(),
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: git(['status', '--porcelain']) !== '',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${type()} ${release()}` },
    versions: {
      node: process.version,
      redis: redisVersion(),
      kafka: '4.3.1',
      '@platformatic/kafka': packageVersion('@platformatic/kafka'),
      bullmq: packageVersion('bullmq'),
      undici: packageVersion('undici'),
      fastify: packageVersion('fastify'),
      ioredis: packageVersion('ioredis'),
    },
    matrix,
    label,
  };
}

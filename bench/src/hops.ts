/**
 * Where P's latency goes, hop by hop: runs Parc (as `npm run bench` does) at one open-loop rate,
 * records Redis's MONITOR stream meanwhile, and reports per request the time from its intended
 * send to each stream write that carries its id (inbox, ready, done, callbacks), to the target's
 * first call and to the callback. MONITOR slows Redis down: use low rates, compare hops, not totals.
 *
 *   npm run build && node --import tsx bench/src/hops.ts [rate=200] [seconds=10]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startLocalKafka, startLocalRedis } from '@parc/testing';
import { BENCH_WEBHOOK_SECRET } from './contract';
import { runOpenLoop } from './load/open-loop';
import { startBenchReceiver } from './load/receiver';
import { percentiles } from './load/stats';
import { startBenchTarget } from './load/target';
import { startParcSystem } from './systems/parc';

const TARGET_LATENCY_MS = 20;

/** Epoch ms of each stream write per request id, by stream suffix (inbox, ready, done, callbacks). */
type Writes = Map<string, Map<string, number>>;

function watchRedis(port: number, writes: Writes, clientOf: Map<string, string>): () => void {
  const monitor = spawn('redis-cli', ['-p', String(port), 'MONITOR'], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: monitor.stdout }).on('line', (line) => {
    const xadd = /^(\d+\.\d+) \[[^\]]+\] "XADD" "([^"]+)"/i.exec(line);
    if (!xadd) return;
    const stream = (xadd[2] as string).split(':').pop() as string;
    const id = /"k" "([0-9A-HJKMNP-TV-Z]{26})"/.exec(line)?.[1] ?? /"([0-9A-HJKMNP-TV-Z]{26})"/.exec(line)?.[1];
    if (!id) return;
    if (stream === 'inbox') {
      const client = /c=([\w-]+)/.exec(line)?.[1];
      if (client) clientOf.set(id, client);
    }
    const byStream = writes.get(id) ?? new Map<string, number>();
    if (!byStream.has(stream)) byStream.set(stream, Number(xadd[1]) * 1000);
    writes.set(id, byStream);
  });
  return () => monitor.kill();
}

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 200);
  const seconds = Number(process.argv[3] ?? 10);
  const [redis, kafka, target, receiver] = await Promise.all([startLocalRedis(), startLocalKafka(), startBenchTarget(), startBenchReceiver(BENCH_WEBHOOK_SECRET)]);
  const allow = [target.origin, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`);
  const system = await startParcSystem({ redisUrl: redis.url, kafkaBrokers: kafka.brokers, egressAllowList: allow, logDir: mkdtempSync(join(tmpdir(), 'parc-hops-')) });
  try {
    const warm = { ingressUrl: system.ingressUrl, callbackUrl: receiver.url, rate: 500, durationMs: 10_000, idPrefix: 'warm-', urlFor: (c: string) => target.urlFor(c, TARGET_LATENCY_MS, false) };
    await runOpenLoop(warm);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const writes: Writes = new Map();
    const clientOf = new Map<string, string>();
    const stop = watchRedis(Number(new URL(redis.url).port), writes, clientOf);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const load = await runOpenLoop({ ...warm, rate, durationMs: seconds * 1000, idPrefix: 'hop-' });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    stop();
    const origin = performance.timeOrigin;
    const intended = new Map(load.sent.map((r) => [r.clientId, origin + r.intendedAt]));
    const hops: Record<string, number[]> = { inbox: [], ready: [], 'first call': [], done: [], callbacks: [], callback: [] };
    for (const [id, byStream] of writes) {
      const client = clientOf.get(id);
      const sentAt = client === undefined ? undefined : intended.get(client);
      if (client === undefined || sentAt === undefined) continue;
      const record = target.records.get(client);
      const result = receiver.results.get(client);
      const points: [string, number | undefined][] = [
        ['inbox', byStream.get('inbox')],
        ['ready', byStream.get('ready')],
        ['first call', record ? origin + record.firstCallAt : undefined],
        ['done', byStream.get('done')],
        ['callbacks', byStream.get('callbacks')],
        ['callback', result ? origin + result.at : undefined],
      ];
      let previous = sentAt;
      for (const [name, at] of points) {
        if (at === undefined) break;
        hops[name]?.push(at - previous);
        previous = at;
      }
    }
    process.stdout.write(`P at ${rate}/s for ${seconds} s, target ${TARGET_LATENCY_MS} ms: ms spent before each point, from the one before (p50 / p95 / p99, count)\n`);
    for (const [name, values] of Object.entries(hops)) {
      const p = percentiles(values);
      process.stdout.write(`  → ${name.padEnd(10)} ${String(p.p50).padStart(7)} ${String(p.p95).padStart(7)} ${String(p.p99).padStart(7)}  (${p.count})\n`);
    }
  } finally {
    await system.stop();
    await Promise.all([target.close(), receiver.close(), redis.stop(), kafka.stop()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

/**
 * `npm run bench -- --destinations`: Parc's flow control against a destination with a hidden
 * capacity (bench/README.md, "Destinations"). Starts P once, warms it up, then runs four
 * variants one after another — no limit, parallelism N/2, parallelism N, adaptive — each one
 * batch of requests with its own flow-control key, and writes
 * `bench/results/destinations-<UTC time>-<commit>.{json,md,svg}`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalKafka, startLocalRedis } from '@parc/testing';
import { BENCH_WEBHOOK_SECRET } from '../contract';
import { runOpenLoop } from '../load/open-loop';
import { startBenchReceiver } from '../load/receiver';
import { runStamp } from '../stamp';
import { startParcSystem } from '../systems/parc';
import { variantsFor, type VariantId } from './analysis';
import { destinationRunName, writeDestinationReport } from './report';
import { startCapacityTarget, type OverloadMode } from './target';

export { isOverloadMode, OVERLOAD_MODES } from './target';
export { DESTINATION_VARIANT_IDS, isVariantId } from './analysis';
import { CHUNK, DESTINATION_RETRY, quiet, runVariant, type VariantRecord } from './variant';

const ROOT = join(__dirname, '../../..');

export interface DestinationBenchOptions {
  /** The target's hidden capacity N (calls in flight). */
  readonly capacity: number;
  /** Requests per variant. */
  readonly requests: number;
  readonly targetLatencyMs: number;
  readonly overloadMode: OverloadMode;
  readonly label: string;
  /** Which variants to run (default all); the targets comparing with one left out are unmeasured. */
  readonly variants?: readonly VariantId[];
}

/**
 * The defaults: N = 20 calls at once, 100 ms each, so C = N / latency = 200 requests/s — well
 * inside what P moves on a 2-core machine (its ceiling there is ~2,000/s), so that the bench
 * measures flow control and not P's own throughput; a call beyond N queues at the target (up to
 * N more), beyond 2N it is shed with 429.
 */
export const DESTINATION_DEFAULTS = { capacity: 20, requests: 20_000, targetLatencyMs: 100, overloadMode: 'shed' } as const satisfies Omit<DestinationBenchOptions, 'label'>;

/** Warm-up before the first variant (not recorded): JIT, the Kafka JVM's above all, pools and consumer assignments. */
const WARM_UP = { rate: 1_000, durationMs: 30_000 } as const;

export async function runDestinationBench(options: DestinationBenchOptions, say: (line: string) => void): Promise<void> {
  say('destinations: building the apps (npm run build) for P');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const baseStamp = runStamp('quick', options.label);
  const name = destinationRunName(baseStamp);
  const { matrix: _matrix, ...stamp } = baseStamp;
  const runTag = name.replace(/^destinations-/, '');
  const [target, receiver] = await Promise.all([
    startCapacityTarget({ capacity: options.capacity, latencyMs: options.targetLatencyMs, mode: options.overloadMode }),
    startBenchReceiver(BENCH_WEBHOOK_SECRET),
  ]);
  const egressAllowList = [target.origin, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`);
  const redis = await startLocalRedis();
  const kafka = await startLocalKafka();
  const logDir = mkdtempSync(join(tmpdir(), 'parc-bench-destinations-'));
  say(`destinations: starting P (logs in ${logDir}); target capacity N = ${options.capacity}, ${options.targetLatencyMs} ms (C = ${options.targetLatencyMs > 0 ? `${Math.round(options.capacity / (options.targetLatencyMs / 1000))}/s` : 'unbounded'}), overload mode ${options.overloadMode}`);
  const system = await startParcSystem({ redisUrl: redis.url, kafkaBrokers: kafka.brokers, egressAllowList, logDir });
  const variants: VariantRecord[] = [];
  try {
    say(`destinations: warming up (${WARM_UP.durationMs / 1000} s at ${WARM_UP.rate}/s to an unlimited path, not recorded)`);
    const warm = await runOpenLoop({ ingressUrl: system.ingressUrl, callbackUrl: receiver.url, rate: WARM_UP.rate, durationMs: WARM_UP.durationMs, idPrefix: 'warm-', urlFor: (clientId) => target.warmUrlFor(clientId) });
    const warmDeadline = performance.now() + 60_000;
    while (receiver.results.size < warm.sent.length && performance.now() < warmDeadline) await new Promise((resolve) => setTimeout(resolve, 200));
    await quiet({ receiver, target });
    const context = { ingressUrl: system.ingressUrl, target, receiver, capacity: options.capacity, latencyMs: options.targetLatencyMs, requests: options.requests, runTag, say };
    for (const spec of variantsFor(options.capacity).filter(({ id }) => options.variants?.includes(id) ?? true)) {
      say(`destinations: (${spec.id}) ${spec.title}: ${options.requests} requests`);
      const result = await runVariant(context, spec);
      variants.push(result);
      say(
        `destinations: (${spec.id}) ${result.complete ? `finished in ${(result.finishMs / 1000).toFixed(1)} s` : 'INCOMPLETE'}; ` +
          `target calls ${result.target.calls}, 429 ${result.target.tooMany}, abandoned ${result.target.aborted} (${(result.overloadShare * 100).toFixed(2)} %); ` +
          `attempts ${result.attempts} (${result.attemptsPerRequest}/request); failed ${result.failed}; max in flight ${result.target.maxInFlight}, max queued ${result.target.maxQueued}, ` +
          `mean latency ${result.target.meanLatencyMs} ms, 2xx/s (steady) ${result.settling.okRate}, ` +
          `settled ${result.settling.settledMs === undefined ? 'never' : `${(result.settling.settledMs / 1000).toFixed(1)} s`}`,
      );
      await quiet({ receiver, target });
    }
  } finally {
    await system.stop();
    await Promise.all([redis.stop(), kafka.stop(), target.close(), receiver.close()]);
  }
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const written = writeDestinationReport(
    {
      benchmark: 'destinations',
      stamp,
      system: system.description,
      options: {
        capacity: options.capacity,
        requests: options.requests,
        targetLatencyMs: options.targetLatencyMs,
        overloadMode: options.overloadMode,
        chunk: CHUNK,
        retry: DESTINATION_RETRY,
        warmUp: `Warm-up before the first variant: ${WARM_UP.durationMs / 1000} s at ${WARM_UP.rate}/s to an unlimited path of the target, not recorded.`,
      },
      variants,
    },
    name,
    dir,
  );
  for (const t of written.run.targets) say(`destinations: target "${t.target}": ${t.status} (${t.value}; ${t.margin})`);
  say(`destinations: report ${written.markdown}`);
}

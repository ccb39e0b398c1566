/**
 * `npm run bench:kafka-clients`: kafkajs against @platformatic/kafka on a real Kafka broker, each
 * client in a worker process of its own. See bench/kafka-clients/README.md.
 *
 *   npm run bench:kafka-clients              3 repeats (~6 min)
 *   npm run bench:kafka-clients -- --quick   1 short repeat (~1 min), a smoke run
 *   KAFKA_BROKERS=host:port npm run bench:kafka-clients   an existing broker (no broker CPU then)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { delay, provideKafka } from '@parc/testing';
import { cpuMs } from '../src/load/procstat';
import { packageVersion, renderMarkdown, summarise, takeStamp, type KafkaClientsReport, type Run } from './report';
import { CLIENTS, WORK, type ClientName, type Job, type WorkerMessage } from './types';

/** npm runs scripts from the repository root; workers start there too, so that tsx finds tsconfig.json. */
const ROOT = resolve(process.cwd());
const WORKER = 'bench/kafka-clients/worker.ts';

const PLANS = {
  full: { repeats: 3, warmUpRecords: 150_000, warmUpPacedMs: 10_000, maxRateRecords: 200_000, pacedRate: 1_000, pacedWarmUpMs: 5_000, pacedMeasureMs: 20_000, idleMs: 10_000, clientIdleMs: 5_000 },
  quick: { repeats: 1, warmUpRecords: 10_000, warmUpPacedMs: 2_000, maxRateRecords: 20_000, pacedRate: 1_000, pacedWarmUpMs: 2_000, pacedMeasureMs: 5_000, idleMs: 3_000, clientIdleMs: 3_000 },
};

/** Not measured, and why: the outcome of `npm install @confluentinc/kafka-javascript` on this machine (see README.md). */
const NOT_MEASURED = [
  {
    client: '@confluentinc/kafka-javascript',
    why:
      '1.10.1 does not install from the npm registry alone. Its install script (node-pre-gyp install --fallback-to-build) fetches the prebuilt ' +
      'librdkafka binding from GitHub (GET https://github.com/confluentinc/confluent-kafka-javascript/releases/download/v1.10.1/' +
      'confluent-kafka-javascript-v1.10.1-node-v137-linux-glibc-x64.tar.gz: getaddrinfo ENOTFOUND github.com); the source build it falls back to ' +
      'downloads zlib, OpenSSL, zstd and curl from zlib.net, github.com and curl.se ("Failed to install dependency zlib / libcrypto / libzstd / libcurl") ' +
      "and stops at make: *** No rule to make target '../deps/librdkafka/config.h'. npm install exits 1.",
  },
];

const say = (line: string): boolean => process.stderr.write(`[kafka-clients] ${line}\n`);

/** Runs one worker to completion; resolves with its message (an error message when it died without one). */
function runWorker(job: Job, timeoutMs = 360_000): Promise<WorkerMessage> {
  return new Promise((settle) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(job)], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let message: WorkerMessage | undefined;
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const timer = setTimeout(() => {
      message ??= { type: 'error', message: `no result within ${timeoutMs / 1000} s` };
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (received: WorkerMessage) => (message ??= received));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      settle(message ?? { type: 'error', message: `worker exited (${signal ?? `code ${code}`}) without a result` });
    });
  });
}

/**
 * The broker's CPU with no client connected, per second: its fixed cost (KRaft heartbeats, log
 * housekeeping), which weighs on the per-record numbers at 1,000/s and hardly at the max rate.
 */
async function idleCpu(pid: number | undefined, ms: number): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  await delay(2_000); // the last worker's connections and group leave settle first
  const before = cpuMs(pid);
  await delay(ms);
  const after = cpuMs(pid);
  return before === undefined || after === undefined ? undefined : Math.round(((after - before) / ms) * 1000);
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, WORKER))) throw new Error(`run from the repository root (npm run bench:kafka-clients); ${WORKER} not found in ${ROOT}`);
  const quick = process.argv.includes('--quick');
  const plan = quick ? PLANS.quick : PLANS.full;
  const versions = Object.fromEntries(CLIENTS.map((name) => [name, packageVersion(ROOT, name)]));
  say(`${quick ? 'quick' : 'full'} run: ${CLIENTS.map((c) => `${c} ${versions[c]}`).join(', ')}; ${NOT_MEASURED.map((n) => `${n.client} not measured`).join(', ')}`);

  const [load] = loadavg();
  if ((load ?? 0) > availableParallelism()) say(`warning: load average ${load?.toFixed(1)} on ${availableParallelism()} CPUs: other work will show in the numbers`);
  // KAFKA_BROKERS when set, else a KRaft broker from the cached jars; never a container (its CPU would not be ours to read).
  const kafka = await provideKafka({ sources: ['env', 'local'], autoCreateTopics: false, log: say });
  say(`broker: ${kafka.description}`);
  const brokerDescription = kafka.source === 'local' ? 'single-node KRaft broker started by the bench (startLocalKafka, -Xmx512m)' : kafka.description;
  let stamp = takeStamp(ROOT, { version: kafka.version, description: brokerDescription }, versions);
  const common = { brokers: kafka.brokers, ...(kafka.pid === undefined ? {} : { brokerPid: kafka.pid }) };
  const topic = (client: ClientName, what: string): string => `bench-${client.replace(/[^a-z]/g, '')}-${what}-${Date.now()}`;

  const runs: Run[] = [];
  const settings: Record<string, Readonly<Record<string, string>>> = {};
  try {
    // The JVM needs tens of seconds of JIT before its cost settles; both clients' request
    // versions (different Fetch/Produce versions) go through it before anything is recorded, at
    // max rate and at the paced rate (small requests and parked fetches take other paths: the
    // first paced run after a max-rate-only warm-up cost the broker twice as much).
    for (const client of CLIENTS) {
      say(`warm-up: ${client}, ${plan.warmUpRecords} records at max rate, then ${plan.warmUpPacedMs / 1000} s at ${plan.pacedRate}/s (not recorded)`);
      const warmUps: Job[] = [
        { kind: 'max-rate', client, ...common, topic: topic(client, 'warmup'), records: plan.warmUpRecords },
        { kind: 'paced', client, ...common, topic: topic(client, 'warmup-paced'), ratePerSecond: plan.pacedRate, warmUpMs: 0, measureMs: plan.warmUpPacedMs },
      ];
      for (const job of warmUps) {
        const outcome = await runWorker(job);
        if (outcome.type === 'error') throw new Error(`warm-up with ${client} failed: ${outcome.message}`);
      }
    }
    const brokerIdleCpuMsPerSecond = await idleCpu(kafka.pid, plan.idleMs);
    if (brokerIdleCpuMsPerSecond !== undefined) say(`broker idle: ${brokerIdleCpuMsPerSecond} CPU-ms per second`);
    stamp = { ...stamp, broker: { ...stamp.broker, idleCpuMsPerSecond: brokerIdleCpuMsPerSecond } };
    for (let repeat = 1; repeat <= plan.repeats; repeat++) {
      // Alternating order, so that neither client always runs on the broker the other just loaded.
      const order = repeat % 2 === 1 ? CLIENTS : [...CLIENTS].reverse();
      for (const client of order) {
        const jobs: Job[] = [
          { kind: 'max-rate', client, ...common, topic: topic(client, `max-${repeat}`), records: plan.maxRateRecords },
          { kind: 'paced', client, ...common, topic: topic(client, `paced-${repeat}`), ratePerSecond: plan.pacedRate, warmUpMs: plan.pacedWarmUpMs, measureMs: plan.pacedMeasureMs },
          { kind: 'idle', client, ...common, topic: topic(client, `idle-${repeat}`), measureMs: plan.clientIdleMs },
        ];
        for (const job of jobs) {
          const loadAverage = loadavg()[0] ?? 0;
          const outcome = await runWorker(job);
          if (outcome.type === 'error') {
            say(`${client} ${job.kind} (repeat ${repeat}) failed: ${outcome.message}`);
            runs.push({ client, repeat, kind: job.kind, loadAverage, error: outcome.message });
            continue;
          }
          settings[client] = outcome.settings;
          runs.push({ client, repeat, kind: job.kind, loadAverage, result: outcome.result });
          say(`${client} ${job.kind} (repeat ${repeat}): ${JSON.stringify(outcome.result)}`);
        }
      }
    }
  } finally {
    await kafka.stop();
  }

  const report: KafkaClientsReport = {
    stamp,
    plan: { ...plan, sendBatch: WORK.sendBatch, sendsInFlight: WORK.sendsInFlight, partitions: WORK.partitions },
    settings,
    notMeasured: NOT_MEASURED,
    summary: summarise(runs, versions, CLIENTS),
    runs,
  };
  const name = `kafka-clients-${stamp.startedAt.slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}Z${quick ? '-quick' : ''}`;
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), renderMarkdown(report));
  say(`report: bench/results/${name}.md`);
  if (runs.some((run) => run.error !== undefined)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});

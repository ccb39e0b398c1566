/**
 * `npm run chaos`: the pipeline as separate processes on a real Redis and Kafka, N requests
 * against a scripted target, and meanwhile every stage SIGKILLed at random moments (and
 * restarted at once, as a supervisor would), the Kafka broker killed for a while, both Redis
 * servers killed and restarted on their append-only files, and one caller frozen past its lease.
 * Prints the ledger; exits 1 on any loss, conflicting or wrong outcome, bad signature, or a
 * process that exited by itself.
 *
 *   npm run chaos                                  # 20,000 requests, the default faults
 *   npm run chaos -- --requests 3000 --kills 1 --broker-down 10 --pause 20
 *   npm run chaos -- --seed 42                     # the same faults at the same moments again
 */
import { parseArgs } from 'node:util';
import { formatLedger, ledgerFailures, ledgerTargets } from './ledger';
import { runChaos, type ChaosOptions } from './run';

const USAGE = `usage: npm run chaos -- [--requests N] [--batch N] [--rate N] [--kills N] [--broker-down S] [--pause S]
                          [--callers N] [--no-redis] [--seed N] [--drain S] [--watermark N]
  --requests N     requests to submit (default 20000)
  --batch N        requests per JSON batch (default 500)
  --rate N         requests submitted per second (default 250)
  --kills N        SIGKILLs per data-path stage, the proxy at most once (default 2)
  --broker-down S  seconds the Kafka broker stays down (default 15; 0: no broker outage)
  --pause S        seconds one parc-caller is frozen with SIGSTOP (default 60; 0: none)
  --callers N      parc-caller instances (default 2)
  --no-redis       do not kill the Redis servers
  --seed N         the faults' random seed (default: random; printed)
  --drain S        seconds to wait for the last callbacks (default 300)
  --watermark N    the proxy's INBOX_WATERMARK: with a --rate above what drains, an overload test`;

function options(argv: readonly string[]): ChaosOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      requests: { type: 'string', default: '20000' },
      batch: { type: 'string', default: '500' },
      rate: { type: 'string', default: '250' },
      kills: { type: 'string', default: '2' },
      'broker-down': { type: 'string', default: '15' },
      pause: { type: 'string', default: '60' },
      callers: { type: 'string', default: '2' },
      'no-redis': { type: 'boolean', default: false },
      seed: { type: 'string' },
      drain: { type: 'string', default: '300' },
      watermark: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (name: keyof typeof values, min: number): number => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${String(values[name])}\n${USAGE}`);
    return value;
  };
  return {
    requests: number('requests', 1),
    batchSize: number('batch', 1),
    ratePerS: number('rate', 1),
    killsPerStage: number('kills', 0),
    brokerDownMs: number('broker-down', 0) * 1000,
    pausedMs: number('pause', 0) * 1000,
    callers: number('callers', 1),
    redisRestarts: !values['no-redis'],
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number('seed', 0),
    drainTimeoutMs: number('drain', 1) * 1000,
    ...(values.watermark === undefined ? {} : { inboxWatermark: number('watermark', 1) }),
    log: (line) => void process.stderr.write(`[chaos] ${line}\n`),
  };
}

async function main(): Promise<void> {
  const chaos = options(process.argv.slice(2));
  chaos.log(`seed ${chaos.seed}: ${chaos.requests} requests at ${chaos.ratePerS}/s in batches of ${chaos.batchSize}, ${chaos.killsPerStage} kills per stage, broker down ${chaos.brokerDownMs / 1000} s, caller frozen ${chaos.pausedMs / 1000} s`);
  const { ledger, logDir } = await runChaos(chaos);
  const failures = ledgerFailures(ledger);
  const targets = ledgerTargets(ledger)
    .map(({ target, value, met }) => `  ${met ? 'met   ' : 'MISSED'} ${target}: ${value}`)
    .join('\n');
  process.stdout.write(`\n== chaos ledger (seed ${chaos.seed}; logs ${logDir})\n${formatLedger(ledger)}\n\n== targets\n${targets}\n`);
  if (ledger.problems.length > 0) process.stdout.write(`\n== first problems\n${ledger.problems.map((p) => `  ${p}`).join('\n')}\n`);
  if (failures.length > 0) {
    process.stdout.write(`\nFAILED: ${failures.join('; ')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('\nPASSED: nothing lost, no conflicting or wrong outcome, every signature valid, no process exited by itself\n');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[chaos] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

/**
 * Starts a real Redis and a real Kafka broker for local development, the same way the
 * integration tests get theirs (libs/testing/README.md), prints their addresses and stays up
 * until Ctrl-C / SIGTERM, then stops them and deletes their temp dirs.
 *
 *   npx tsx tools/infra/up.ts            # then, in another shell: export the printed lines
 *   PARC_TEST_INFRA=local npx tsx tools/infra/up.ts   # never use Docker even if it is there
 *
 * stdout carries only the `NAME=value` lines (so `npx tsx tools/infra/up.ts > .env.local` works);
 * progress and the summary go to stderr.
 */
import { sourcesFromEnv, startInfrastructure } from '@parc/testing';

async function main(): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`[parc-testing] ${line}\n`);
  };
  const infra = await startInfrastructure({ sources: sourcesFromEnv(process.env['PARC_TEST_INFRA']), log });
  process.stderr.write(`${infra.summary.join('\n')}\n`);
  process.stdout.write(`REDIS_URL=${infra.env['REDIS_URL']}\nKAFKA_BROKERS=${infra.env['KAFKA_BROKERS']}\n`);
  process.stderr.write('[parc-testing] up; press Ctrl-C to stop\n');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[parc-testing] ${signal}: stopping Redis and Kafka\n`);
    infra.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[parc-testing] stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Keep the event loop alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import { formatLedger, ledgerFailures, ledgerTargets } from '../../tools/chaos/ledger';
import { runChaos } from '../../tools/chaos/run';

/**
 * The short version of `npm run chaos`, in every `npm test`: 3,000 requests, every data-path
 * stage SIGKILLed once (and restarted at once), the Kafka broker down for 10 s, both Redis servers
 * killed and restarted on their append-only files, one caller frozen past its lease. Timings
 * (stall, recovery) are printed, never asserted: the machine is shared.
 */
describe('chaos, short: kills, a broker outage, Redis restarts and a zombie caller', () => {
  it('loses nothing, calls back no conflicting or wrong outcome, signs every callback, and no process exits by itself', async () => {
    const seed = Number(process.env['PARC_CHAOS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    const lines: string[] = [];
    const { ledger, logDir } = await runChaos({
      requests: 3_000,
      batchSize: 250,
      ratePerS: 75,
      seed,
      killsPerStage: 1,
      brokerDownMs: 10_000,
      redisRestarts: true,
      pausedMs: 20_000,
      callers: 2,
      drainTimeoutMs: 240_000,
      log: (line) => void lines.push(line),
    });
    const targets = ledgerTargets(ledger).map(({ target, value, met }) => `  ${met ? 'met   ' : 'MISSED'} ${target}: ${value}`);
    console.info(`[chaos short] seed ${seed}, logs ${logDir}\n${lines.join('\n')}\n${formatLedger(ledger)}\n${targets.join('\n')}`);
    expect({ failures: ledgerFailures(ledger), problems: ledger.problems }).toEqual({ failures: [], problems: [] });
    expect(ledger.delivered).toBe(3_000);
  }, 600_000);
});

/**
 * System B's only process: the shared fastify ingress → an in-memory FIFO → a pool of
 * POOL_SLOTS slots doing the shared work; a retry waits in a timer, then joins the back of the
 * FIFO (it holds no slot while it waits). Env: EGRESS_ALLOW_LIST, POOL_SLOTS.
 */
import type { Envelope } from '@parc/envelope';
import { parseWebhookSecrets } from '@parc/webhooks';
import { BENCH_WEBHOOK_SECRET } from '../contract';
import { announceReady, envInteger, envList, onShutdown, runMain, warn } from './child';
import { startIngress } from './ingress';
import { attemptAndDecide, createBenchHttp, finish } from './shared-work';
import { WorkPool } from './work-pool';

/** Slots when POOL_SLOTS is not set (inmemory.ts always sets it). */
const DEFAULT_POOL_SLOTS = 512;

async function main(): Promise<void> {
  const http = createBenchHttp(envList('EGRESS_ALLOW_LIST'));
  const secrets = parseWebhookSecrets(BENCH_WEBHOOK_SECRET);
  const retryTimers = new Set<NodeJS.Timeout>();

  const pool: WorkPool<Envelope> = new WorkPool(
    envInteger('POOL_SLOTS', DEFAULT_POOL_SLOTS),
    async (queued) => {
      const { envelope, decision } = await attemptAndDecide(http, queued);
      if (decision.kind === 'final') return finish(http, envelope, decision.outcome, secrets);
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        pool.push([envelope]);
      }, decision.delayMs);
      retryTimers.add(timer);
    },
    (error) => warn('request dropped', { error: error instanceof Error ? error.message : String(error) }),
  );

  const ingress = await startIngress({ enqueue: async (envelopes) => pool.push(envelopes) });
  onShutdown(async () => {
    await ingress.close();
    // No durability: queued requests and pending retries are dropped; calls in progress end.
    retryTimers.forEach(clearTimeout);
    await pool.close();
    await http.close();
  });
  announceReady(ingress.port);
}

runMain(main);

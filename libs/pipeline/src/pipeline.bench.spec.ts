import { createEnvelope, serializeEnvelope } from '@parc/envelope';
import { startCallbackReceiver, startTargetServer, waitFor } from '@parc/testing';
import { globalNames } from '@parc/topology';
import { generateWebhookSecret } from '@parc/webhooks';
import { loopbackHttp, memoryBackend } from './pipeline.fixture';
import { startEmbeddedPipeline } from './embedded.fixture';

/**
 * Throughput of the whole pipeline in one process on the memory backend: N requests against a
 * 0 ms target, each to a delivered callback. Skipped unless PARC_BENCH=<N> is set, e.g.
 *   PARC_BENCH=20000 npx jest -c libs/pipeline/jest.config.js pipeline.bench
 * The target server and the callback receiver run in the same process, so CPU includes them.
 */
const count = Number(process.env['PARC_BENCH'] ?? 0);
const maybe = count > 0 ? describe : describe.skip;

maybe('pipeline throughput (in process, memory backend)', () => {
  it(`moves ${count} requests to delivered callbacks`, async () => {
    const [target, receiver] = await Promise.all([startTargetServer(), startCallbackReceiver()]);
    const backend = memoryBackend({ leaseMs: 30_000 });
    const http = loopbackHttp(256);
    const callbackHttp = loopbackHttp(256);
    const workers = await startEmbeddedPipeline({ backend, http, callbackHttp, secrets: [generateWebhookSecret()] });
    const nowMs = Date.now();
    const url = target.urlFor('/fast', { status: 200 });
    const accepted = Array.from({ length: count }, () => {
      const envelope = createEnvelope({ request: { method: 'GET', url }, callback: { url: receiver.url } }, { nowMs });
      return { id: envelope.id, batchId: envelope.batchId, payload: serializeEnvelope(envelope) };
    });

    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < accepted.length; i += 1000) await backend.ledger().accept(globalNames().inbox, accepted.slice(i, i + 1000));
    await waitFor('all callbacks', () => receiver.deliveries.length >= count, 600_000, 50);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    process.stderr.write(
      `[bench] ${count} requests in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} req/s; ` +
        `CPU ${cpuSeconds.toFixed(2)} s (${Math.round((cpuSeconds / seconds) * 100)} % of one core), ` +
        `${((cpuSeconds * 1000) / count).toFixed(3)} CPU-ms per request incl. target and receiver\n`,
    );
    expect(receiver.deliveries).toHaveLength(count);

    await Promise.all(workers.map((worker) => worker.close()));
    await backend.close();
    await Promise.all([http.close(), callbackHttp.close(), target.close(), receiver.close()]);
  }, 660_000);
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCallbackReceiver, startServiceProcess, startTargetServer, waitFor, type CallbackReceiver, type ServiceProcess, type TargetServer, buildScenario, expectedCalls, API_KEY, WEBHOOK_SECRET, submitBatch, verifyRun } from '@parc/testing';

const REQUESTS = 500;

describe('the embedded mode (npm start): every stage in one process on the memory adapters', () => {
  let target: TargetServer;
  let receiver: CallbackReceiver;
  let embedded: ServiceProcess;

  beforeAll(async () => {
    [target, receiver] = await Promise.all([startTargetServer(), startCallbackReceiver()]);
    embedded = await startServiceProcess({
      app: 'embedded',
      entry: 'tools/embedded/main.ts',
      logDir: mkdtempSync(join(tmpdir(), 'parc-embedded-')),
      env: {
        LOG_LEVEL: 'warn',
        API_KEYS: `e2e:${API_KEY}`,
        WEBHOOK_SECRETS: WEBHOOK_SECRET,
        EGRESS_ALLOW_LIST: [target.url, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`).join(','),
        MOVER_TICK_MS: '50',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await embedded?.stop();
    await Promise.all([target?.close(), receiver?.close()]);
  });

  it(`delivers one signed final callback with every attempt for each of ${REQUESTS} requests`, async () => {
    const requests = buildScenario(target, REQUESTS, `embedded-${Date.now()}`);
    const ids: string[] = [];
    for (let i = 0; i < requests.length; i += 100) {
      ids.push(...(await submitBatch(embedded.url, { requests: requests.slice(i, i + 100).map((r) => r.spec), callback: { url: receiver.url } })).ids);
    }
    await waitFor(`${REQUESTS} callbacks`, () => {
      const accepted = receiver.acceptedById();
      return ids.every((id) => accepted.has(id));
    }, 120_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const verdict = verifyRun({ ids, requests, receiver, secrets: WEBHOOK_SECRET, strict: true });
    expect(verdict.problems.slice(0, 20)).toEqual([]);
    // Every attempt reached the target once, except connect timeouts, which may not have arrived.
    expect(target.calls.length).toBeLessThanOrEqual(expectedCalls(requests));
    expect(target.calls.length).toBeGreaterThanOrEqual(expectedCalls(requests) - verdict.connectTimeouts);
  }, 180_000);

  it('serves the dashboard at /dashboard, behind the API key, drawn from its own queues: the batch reaches 100 %', async () => {
    expect((await fetch(`${embedded.url}/dashboard/state`)).status).toBe(401);
    const page = await fetch(`${embedded.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/dashboard/dashboard.js');
    const state = async (): Promise<{ source: string; queues: { name: string }[]; stages: { key: string; instances: number }[]; batches: { batchId: string; total: number; complete: boolean; counts: { succeeded: number; failed: number } }[] }> =>
      (await fetch(`${embedded.url}/dashboard/state`, { headers: { authorization: `Bearer ${API_KEY}` } })).json() as never;
    const { batchId } = await submitBatch(embedded.url, { requests: Array.from({ length: 20 }, (_, i) => ({ url: target.urlFor(`/dash/${i}`, { latencyMs: 50 }) })), callback: { url: receiver.url } });
    const finished = await waitFor('the batch complete on the dashboard', async () => (await state()).batches.find((batch) => batch.batchId === batchId && batch.complete), 30_000, 200);
    expect(finished).toMatchObject({ total: 20, counts: { succeeded: 20, failed: 0 } });
    const view = await state();
    expect(view.source).toBe('embedded');
    expect(view.queues.map((queue) => queue.name)).toEqual(expect.arrayContaining(['inbox', 'responses', 'callbacks', 'p1/requests', 'p1/ready', 'p1/done']));
    expect(view.stages).toContainEqual({ key: 'p1/parc-caller', instances: 1 });
  });

  it('serves the demo target and receiver it prints in its welcome', async () => {
    const { ids } = await submitBatch(embedded.url, {
      requests: [{ url: `${embedded.url}/demo/flaky?failures=1&key=e2e`, retry: { initialDelayMs: 100 } }],
      callback: { url: `${embedded.url}/demo/callbacks` },
    });
    const seen = await waitFor('the demo receiver to show the result', async () => {
      const { callbacks } = (await (await fetch(`${embedded.url}/demo/callbacks`)).json()) as { callbacks: { webhookId: string; signatureValid: boolean; result: { status: string; attempts: unknown[] } }[] };
      return callbacks.find((c) => c.webhookId === ids[0]);
    }, 30_000, 100);
    expect(seen).toMatchObject({ signatureValid: true, result: { status: 'succeeded' } });
    expect(seen.result.attempts).toHaveLength(2);
  }, 60_000);

  it("streams a batch's results without callbacks, and calls back batch.completed once", async () => {
    const run = `emb-results-${Date.now()}`;
    const lines = Array.from({ length: 200 }, (_, n) => JSON.stringify(n % 10 === 0 ? { url: target.urlFor('/fail', { seq: '500', key: `${run}-${n}` }), retry: { maxAttempts: 1 } } : { url: target.urlFor('/ok', { key: `${run}-${n}` }) }));
    const submitted = await fetch(`${embedded.url}/v1/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/x-ndjson', 'parc-batch-callback-url': `${receiver.url}/batches` },
      body: `${lines.join('\n')}\n`,
    });
    const { batchId, ids } = (await submitted.json()) as { batchId: string; ids: string[] };
    const streamed = await (await fetch(`${embedded.url}/v1/batches/${batchId}/results?wait=true`, { headers: { authorization: `Bearer ${API_KEY}` } })).text();
    const results = streamed.trim().split('\n').map((line) => JSON.parse(line) as { id: string; status: string });
    expect(new Set(results.map((r) => r.id))).toEqual(new Set(ids));
    expect(results.filter((r) => r.status === 'failed')).toHaveLength(20);
    const completionId = `${batchId}.completed`;
    await waitFor('the batch.completed callback', () => receiver.acceptedById().has(completionId), 30_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = receiver.deliveries.filter((d) => d.id === completionId);
    expect(events).toHaveLength(1);
    expect(JSON.parse((events[0] as (typeof events)[number]).body)).toMatchObject({ type: 'batch.completed', data: { batchId, total: 200, counts: { succeeded: 180, failed: 20 } } });
  }, 60_000);
});

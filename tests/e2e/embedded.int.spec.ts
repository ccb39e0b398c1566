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
    expect(target.calls.length).toBe(expectedCalls(requests));
  }, 180_000);

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
});

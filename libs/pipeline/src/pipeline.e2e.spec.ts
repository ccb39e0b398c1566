import { createEnvelope, serializeEnvelope, type FinalResult } from '@parc/envelope';
import { startCallbackReceiver, startTargetServer, waitFor, type CallbackReceiver, type TargetServer } from '@parc/testing';
import { globalNames } from '@parc/topology';
import { generateWebhookSecret, verifyWebhook } from '@parc/webhooks';
import { FAST_POLICY, loopbackHttp, memoryBackend, type MemoryBackend } from './pipeline.fixture';
import { startEmbeddedPipeline } from './embedded.fixture';
import type { Worker } from './index';

interface Scenario {
  readonly name: string;
  readonly params: Record<string, string | number>;
  readonly timeoutMs?: number;
  readonly url?: string;
  readonly status: 'succeeded' | 'failed';
  readonly reason?: string;
  readonly attempts: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: '200', params: { status: 200 }, status: 'succeeded', attempts: 1 },
  { name: '404', params: { status: 404 }, status: 'failed', reason: 'non_retryable_status', attempts: 1 },
  { name: '500-then-200', params: { seq: '500,200' }, status: 'succeeded', attempts: 2 },
  { name: '503-retry-after', params: { seq: '503~1,200' }, status: 'succeeded', attempts: 2 },
  { name: 'timeout', params: { hang: 1 }, timeoutMs: 100, status: 'failed', reason: 'retries_exhausted', attempts: 3 },
  { name: 'reset-then-200', params: { seq: 'reset,200' }, status: 'succeeded', attempts: 2 },
  { name: 'metadata-address', params: {}, url: 'http://169.254.169.254/latest', status: 'failed', reason: 'destination_blocked', attempts: 1 },
];

describe('the pipeline end to end (in process, memory backend)', () => {
  let backend: MemoryBackend;
  let target: TargetServer;
  let receiver: CallbackReceiver;
  let workers: Worker[] = [];
  const http = loopbackHttp(128);
  const callbackHttp = loopbackHttp(128);
  const secret = generateWebhookSecret();

  beforeAll(async () => {
    [target, receiver] = await Promise.all([startTargetServer(), startCallbackReceiver()]);
    backend = memoryBackend({ leaseMs: 5_000 });
    workers = await startEmbeddedPipeline({ backend, http, callbackHttp, secrets: [secret] });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await backend.close();
    await Promise.all([http.close(), callbackHttp.close(), target.close(), receiver.close()]);
  });

  it('delivers ~200 mixed requests to verified callbacks, each exactly once with the right status, reason and attempts', async () => {
    const nowMs = Date.now();
    const expected = new Map<string, Scenario>();
    const accepted = Array.from({ length: 203 }, (_, index) => {
      const scenario = SCENARIOS[index % SCENARIOS.length] as Scenario;
      const envelope = createEnvelope(
        {
          request: { method: 'GET', url: 'http://placeholder.invalid/', timeoutMs: scenario.timeoutMs ?? 2_000 },
          policy: FAST_POLICY,
          callback: { url: receiver.url, headers: { 'X-Scenario': scenario.name } },
          metadata: { scenario: scenario.name },
        },
        { nowMs },
      );
      const url = scenario.url ?? target.urlFor(`/${scenario.name}`, { ...scenario.params, key: envelope.id });
      const withUrl = { ...envelope, request: { ...envelope.request, url } };
      expected.set(envelope.id, scenario);
      return { id: envelope.id, batchId: envelope.batchId, payload: serializeEnvelope(withUrl) };
    });
    await backend.ledger().accept(globalNames().inbox, accepted);

    await waitFor('a callback per request', () => receiver.deliveries.length >= accepted.length, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // any duplicate would show up now
    expect(receiver.deliveries).toHaveLength(accepted.length);

    for (const [id, scenario] of expected) {
      const [callback, ...extra] = receiver.deliveries.filter((delivery) => delivery.id === id);
      expect(extra).toHaveLength(0);
      expect(verifyWebhook({ headers: callback?.headers ?? {}, body: callback?.body ?? '', secrets: [secret] })).toMatchObject({ ok: true, id });
      const result = JSON.parse(callback?.body ?? '{}') as FinalResult;
      expect({ scenario: scenario.name, status: result.status, reason: result.reason, attempts: result.attempts.length }).toEqual({
        scenario: scenario.name, status: scenario.status, reason: scenario.reason, attempts: scenario.attempts,
      });
      expect(result.metadata).toEqual({ scenario: scenario.name });
      // A timed-out attempt may end before its request reached the target (a loaded machine).
      const calls = target.callCounts.get(id) ?? 0;
      if (scenario.name === 'timeout') expect(calls).toBeLessThanOrEqual(scenario.attempts);
      else if (scenario.url === undefined) expect(calls).toBe(scenario.attempts);
      const status = await backend.ledger().status(id);
      expect(status).toMatchObject({ state: scenario.status, attempts: scenario.attempts });
    }

    // Retry-After: 1 s between the 503 and the retry.
    const throttled = [...expected].find(([, s]) => s.name === '503-retry-after')?.[0] as string;
    const [first, second] = target.callsFor(throttled);
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(1000);
  }, 30_000);
});

import { startCallbackReceiver, startTargetServer, waitFor, type CallbackReceiver, type TargetServer, buildScenario, expectedCalls, WEBHOOK_SECRET, startStack, submitBatch, type DataPathApp, type Stack, verifyRun } from '@parc/testing';

const REQUESTS = 5_000;
const BATCH = 500;
/** Which stage dies when, as a fraction of callbacks delivered so far. */
const KILLS: readonly [DataPathApp, number][] = [
  ['proxy-store', 0],
  ['parc-incoming', 0.05],
  ['parc-caller', 0.1],
  ['parc-outgoing', 0.3],
  ['responder', 0.5],
];

describe('the pipeline end to end with crashes: SIGKILL, restart, nothing lost', () => {
  let target: TargetServer;
  let receiver: CallbackReceiver;
  let stack: Stack;

  beforeAll(async () => {
    [target, receiver] = await Promise.all([startTargetServer(), startCallbackReceiver()]);
    const allow = [target.url, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`).join(',');
    stack = await startStack({ egressAllowList: allow });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([target?.close(), receiver?.close()]);
  }, 60_000);

  it(`loses none of ${REQUESTS} requests when proxy-store, parc-incoming, parc-caller, parc-outgoing and responder are each killed mid-run`, async () => {
    const requests = buildScenario(target, REQUESTS, stack.namespace);
    const started = Date.now();
    const ids: string[] = [];
    const submissions = (async () => {
      for (let i = 0; i < requests.length; i += BATCH) {
        const { ids: accepted } = await submitBatch(stack.proxyUrl, { requests: requests.slice(i, i + BATCH).map((r) => r.spec), callback: { url: receiver.url } });
        ids.push(...accepted);
      }
    })();

    const kills: string[] = [];
    for (const [app, fraction] of KILLS) {
      await waitFor(`${Math.round(fraction * 100)}% of the callbacks before killing ${app}`, () => receiver.acceptedById().size >= fraction * REQUESTS && ids.length >= 2 * BATCH, 240_000, 50);
      const before = receiver.acceptedById().size;
      await stack.apps[app].kill('SIGKILL');
      await stack.apps[app].restart();
      kills.push(`${app} killed at ${before} callbacks, back after ${Date.now() - started} ms`);
    }
    await submissions;
    await waitFor(`${REQUESTS} callbacks`, () => {
      const accepted = receiver.acceptedById();
      return ids.length === REQUESTS && ids.every((id) => accepted.has(id));
    }, 300_000, 250);
    const doneMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // let redeliveries in flight arrive, to count them

    const verdict = verifyRun({ ids, requests, receiver, secrets: WEBHOOK_SECRET, strict: false });
    const extraCalls = target.calls.length - expectedCalls(requests);
    console.info(
      `[e2e faults] ${kills.join('; ')}.\n[e2e faults] all ${REQUESTS} callbacks in ${doneMs} ms; lost ${verdict.missing}; ` +
        `extra target calls ${extraCalls} (of ${target.calls.length}); extra callback deliveries ${verdict.extraDeliveries} ` +
        `(${receiver.deliveries.length} deliveries in all); problems ${verdict.problems.length}; retries at most ${verdict.maxRetryLatenessMs} ms after their backoff allowed`,
    );
    expect(verdict.missing).toBe(0);
    expect(verdict.problems.slice(0, 20)).toEqual([]);
  }, 420_000);
});

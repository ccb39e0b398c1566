import { KafkaBackend } from '@parc/kafka';
import { startCallbackReceiver, startTargetServer, redisCommands, waitFor, type CallbackReceiver, type TargetServer, buildScenario, expectedCalls, API_KEY, WEBHOOK_SECRET, startStack, submitBatch, type Stack, verifyRun } from '@parc/testing';

const REQUESTS = 5_000;
const BATCH = 500;

describe(`the pipeline end to end: six processes on Redis ${process.env['PARC_TEST_REDIS_VERSION']} and Kafka ${process.env['PARC_TEST_KAFKA_VERSION']}`, () => {
  let target: TargetServer;
  let unlisted: TargetServer;
  let receiver: CallbackReceiver;
  let stack: Stack;

  beforeAll(async () => {
    [target, unlisted, receiver] = await Promise.all([startTargetServer(), startTargetServer(), startCallbackReceiver()]);
    const allow = [target.url, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`).join(',');
    stack = await startStack({ egressAllowList: allow });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([target?.close(), unlisted?.close(), receiver?.close()]);
  }, 60_000);

  const post = (body: string, headers: Record<string, string>) => fetch(`${stack.proxyUrl}/v1/requests`, { method: 'POST', headers, body });
  const json = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

  it('answers every 4xx without touching Redis or Kafka', async () => {
    const valid = { url: target.urlFor('/ok') };
    const refusals: [string, Promise<Response>, number][] = [
      ['no API key', post(JSON.stringify({ requests: [valid] }), { 'content-type': 'application/json' }), 401],
      ['wrong API key', post(JSON.stringify({ requests: [valid] }), { ...json, authorization: 'Bearer not-a-key-0123456789' }), 401],
      ['a bad URL among good ones', post(JSON.stringify({ requests: [valid, { url: 'ftp://x' }] }), json), 400],
      ['an unknown field', post(JSON.stringify({ requests: [{ ...valid, colour: 'red' }] }), json), 400],
      ['a string for a number', post(JSON.stringify({ requests: [{ ...valid, timeoutMs: '5000' }] }), json), 400],
      ['too many requests in a batch', post(JSON.stringify({ requests: Array.from({ length: 1_001 }, () => valid) }), json), 413],
      ['a text body', post('GET http://x', { ...json, 'content-type': 'text/plain' }), 415],
      ['broken JSON', post('{"requests": [', json), 400],
    ];
    for (const [what, response, status] of refusals) {
      const answer = await response;
      expect({ what, status: answer.status }).toEqual({ what, status });
      expect((await answer.json()) as unknown).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    // The consumers' streams exist from the start (their groups create them), empty; nothing else.
    const [keys, inbox, callbacks] = await redisCommands(withDb(1), [
      ['KEYS', `${stack.namespace}:*`],
      ['XLEN', `${stack.namespace}:inbox`],
      ['XLEN', `${stack.namespace}:callbacks`],
    ]);
    expect([...(keys as string[])].sort()).toEqual([`${stack.namespace}:callbacks`, `${stack.namespace}:inbox`]);
    expect([inbox, callbacks]).toEqual([0, 0]);
    const kafka = new KafkaBackend({ brokers: (process.env['KAFKA_BROKERS'] as string).split(','), clientId: 'e2e-check', clientLogLevel: 'nothing' });
    try {
      expect(await kafka.backlog(`${stack.namespace}.requests.p1`, 'e2e-check')).toMatchObject({ waiting: 0, inFlight: 0 });
    } finally {
      await kafka.close();
    }
  });

  it('refuses loopback destinations that are not allow-listed, by IP literal and by DNS name', async () => {
    const port = new URL(unlisted.url).port;
    const { ids } = await submitBatch(stack.proxyUrl, {
      requests: [{ url: `http://127.0.0.1:${port}/literal` }, { url: `http://localhost:${port}/by-name` }, { url: `http://[::ffff:127.0.0.1]:${port}/mapped` }],
      callback: { url: receiver.url },
    });
    await waitFor('three refusals', () => ids.every((id) => receiver.acceptedById().has(id)), 60_000);
    for (const id of ids) {
      const result = JSON.parse(receiver.acceptedById().get(id)?.[0]?.body ?? '{}') as { status: string; reason: string; attempts: { error?: { code: string } }[] };
      expect(result).toMatchObject({ status: 'failed', reason: 'destination_blocked' });
      expect(result.attempts.map((a) => a.error?.code)).toEqual(['destination_blocked']);
    }
    expect(unlisted.calls).toHaveLength(0);
  }, 90_000);

  it(`delivers exactly one signed final callback with every attempt for each of ${REQUESTS} requests`, async () => {
    const runId = stack.namespace;
    const requests = buildScenario(target, REQUESTS, runId);
    const started = Date.now();
    const ids: string[] = [];
    const batchIds: string[] = [];
    for (let i = 0; i < requests.length; i += BATCH) {
      const { batchId, ids: batchIdsOfRequests } = await submitBatch(stack.proxyUrl, {
        requests: requests.slice(i, i + BATCH).map((r) => r.spec),
        callback: { url: receiver.url },
      });
      ids.push(...batchIdsOfRequests);
      batchIds.push(batchId);
    }
    const acceptedMs = Date.now() - started;
    await waitFor(`${REQUESTS} callbacks`, () => {
      const accepted = receiver.acceptedById();
      return ids.every((id) => accepted.has(id));
    }, 240_000, 250);
    const doneMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // late duplicates would show now

    const verdict = verifyRun({ ids, requests, receiver, secrets: WEBHOOK_SECRET, strict: true });
    const calls = target.calls.length;
    console.info(
      `[e2e] ${REQUESTS} requests: accepted in ${acceptedMs} ms, all callbacks in ${doneMs} ms (${Math.round((REQUESTS * 1000) / doneMs)} req/s); ` +
        `target calls ${calls} (expected ${expectedCalls(requests)}, ${verdict.connectTimeouts} of them connect timeouts), callback deliveries ${receiver.deliveries.length}, problems ${verdict.problems.length}; retries at most ${verdict.maxRetryLatenessMs} ms after their backoff allowed`,
    );
    expect(verdict.problems.slice(0, 20)).toEqual([]);
    expect(verdict.missing).toBe(0);
    // Every attempt reached the target once, except connect timeouts, which may not have arrived.
    expect(calls).toBeLessThanOrEqual(expectedCalls(requests));
    expect(calls).toBeGreaterThanOrEqual(expectedCalls(requests) - verdict.connectTimeouts);

    const batch = (await (await fetch(`${stack.proxyUrl}/v1/batches/${batchIds[0]}`, { headers: json })).json()) as { total: number; counts: Record<string, number> };
    expect(batch.total).toBe(BATCH);
    expect((batch.counts['succeeded'] ?? 0) + (batch.counts['failed'] ?? 0)).toBe(BATCH);
    const one = (await (await fetch(`${stack.proxyUrl}/v1/requests/${ids[0]}`, { headers: json })).json()) as { state: string; result?: { id: string } };
    expect(one).toMatchObject({ state: 'succeeded', result: { id: ids[0] } });
  }, 300_000);

  function withDb(db: number): string {
    const url = new URL(process.env['REDIS_URL'] as string);
    url.pathname = `/${db}`;
    return url.toString();
  }
});

import { readFileSync } from 'node:fs';
import { newUlid } from '@parc/envelope';
import { RedisBackend } from '@parc/redis';
import { registerPublicApi } from '@parc/api';
import { buildServiceApp, createLogger, createMetrics } from '@parc/service-kit';
import { parseWebhookSecrets, verifyWebhook } from '@parc/webhooks';
import { API_KEY, WEBHOOK_SECRET, startCallbackReceiver, startStack, startTargetServer, waitFor, withDb, type CallbackReceiver, type Stack, type TargetServer } from '@parc/testing';

const REQUESTS = 2_000;
const FAILING_EVERY = 10;
const auth = { authorization: `Bearer ${API_KEY}` };

/** Reads an NDJSON response line by line as it streams. */
async function readLines(response: Response, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) if (line !== '') onLine(line);
  }
  if (rest !== '') onLine(rest);
}

describe(`a batch's results and its batch.completed callback, on Redis ${process.env['PARC_TEST_REDIS_VERSION']} and Kafka ${process.env['PARC_TEST_KAFKA_VERSION']}`, () => {
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

  it(`streams ${REQUESTS} results without callbacks as they finish, resumably, and calls back batch.completed once though the responder is SIGKILLed near the end`, async () => {
    const run = `br-${Date.now().toString(36)}`;
    // No per-request callback at all: the results stream is the only way back.
    const lines = Array.from({ length: REQUESTS }, (_, n) =>
      JSON.stringify(
        n % FAILING_EVERY === 0
          ? { url: target.urlFor('/fail', { seq: '500', key: `${run}-${n}` }), retry: { maxAttempts: 1 } }
          : { url: target.urlFor('/ok', { seq: '200', key: `${run}-${n}` }) },
      ),
    );
    const submitted = await fetch(`${stack.proxyUrl}/v1/requests`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson', 'parc-batch-callback-url': `${receiver.url}/batches` },
      body: `${lines.join('\n')}\n`,
    });
    expect(submitted.status).toBe(202);
    const { batchId, ids } = (await submitted.json()) as { batchId: string; ids: string[] };
    expect(ids).toHaveLength(REQUESTS);

    const streamed: { id: string; status: string }[] = [];
    const stream = fetch(`${stack.proxyUrl}/v1/batches/${batchId}/results?wait=true`, { headers: auth }).then(async (response) => {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      await readLines(response, (line) => streamed.push(JSON.parse(line) as { id: string; status: string }));
    });
    // Near the end, the stage that records final results and completes the batch dies hard.
    await waitFor('90 % of the results', () => streamed.length >= REQUESTS * 0.9, 120_000, 20);
    await stack.apps.responder.kill('SIGKILL');
    await stack.apps.responder.restart();
    await stream;

    expect(streamed).toHaveLength(REQUESTS);
    expect(new Set(streamed.map((r) => r.id))).toEqual(new Set(ids));
    const failed = streamed.filter((r) => r.status === 'failed').length;
    expect(failed).toBe(REQUESTS / FAILING_EVERY);

    // Resumable: after any line, exactly the lines that followed it.
    const cut = 1_234;
    const resumed: string[] = [];
    await readLines(await fetch(`${stack.proxyUrl}/v1/batches/${batchId}/results?after=${(streamed[cut - 1] as { id: string }).id}`, { headers: auth }), (line) =>
      resumed.push((JSON.parse(line) as { id: string }).id),
    );
    expect(resumed).toEqual(streamed.slice(cut).map((r) => r.id));

    const status = (await (await fetch(`${stack.proxyUrl}/v1/batches/${batchId}`, { headers: auth })).json()) as { complete: boolean; counts: Record<string, number>; reasons: Record<string, number> };
    expect(status).toMatchObject({ complete: true, counts: { succeeded: REQUESTS - failed, failed } });

    const completionId = `${batchId}.completed`;
    await waitFor('the batch.completed callback', () => receiver.acceptedById().has(completionId), 60_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // a duplicate would show by now
    const deliveries = receiver.deliveries.filter((d) => d.id === completionId);
    expect(deliveries).toHaveLength(1);
    const delivery = deliveries[0] as (typeof deliveries)[number];
    expect(verifyWebhook({ headers: delivery.headers, body: delivery.body, secrets: parseWebhookSecrets(WEBHOOK_SECRET), nowMs: delivery.receivedAt })).toMatchObject({ ok: true });
    const event = JSON.parse(delivery.body) as { type: string; data: { batchId: string; total: number; counts: Record<string, number>; reasons: Record<string, number>; results: string; firstFinishedAt: string; lastFinishedAt: string } };
    expect(event).toMatchObject({ type: 'batch.completed', data: { batchId, total: REQUESTS, counts: { succeeded: REQUESTS - failed, failed }, results: `/v1/batches/${batchId}/results` } });
    expect(Object.values(event.data.reasons).reduce((sum, n) => sum + n, 0)).toBe(failed);
    expect(Date.parse(event.data.lastFinishedAt)).toBeGreaterThanOrEqual(Date.parse(event.data.firstFinishedAt));
    // No request had a callback of its own: the batch event is the only delivery of this run.
    expect(receiver.deliveries.filter((d) => ids.includes(d.id))).toEqual([]);
  }, 240_000);
});

/** Resident memory of a process, MB, from /proc. */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

describe('streaming a large batch', () => {
  const RESULTS = 50_000;
  const OLD_SPACE_MB = 64;
  let stack: Stack;
  beforeAll(async () => {
    // The apps' old space capped at 64 MB: a proxy that buffered the 48 MB of results (as JS
    // strings, twice that) would die of it; RSS alone says little, as V8 grows its heap with
    // garbage long before it collects.
    stack = await startStack({ egressAllowList: '127.0.0.1:1', env: { NODE_OPTIONS: `--max-old-space-size=${OLD_SPACE_MB}` } });
  }, 180_000);
  afterAll(() => stack?.stop(), 60_000);

  it(`streams ${RESULTS} results of about 1 KB through the proxy with flat memory`, async () => {
    // The batch and its results are written straight into the proxy's ledger (the pipeline is not
    // what is measured here); its requests go to an inbox nobody reads.
    const backend = new RedisBackend({ url: withDb(process.env['REDIS_URL'] as string, 1), keyPrefix: stack.namespace });
    const ledger = backend.ledger();
    // A real ULID: the API refuses ids outside Crockford's base 32 (no I, L, O or U).
    const batchId = newUlid();
    const ids = Array.from({ length: RESULTS }, (_, n) => `${batchId.slice(0, 16)}${String(n).padStart(10, '0')}`);
    const padding = 'x'.repeat(900);
    try {
      for (let i = 0; i < RESULTS; i += 1_000) {
        const chunk = ids.slice(i, i + 1_000);
        await ledger.accept(`${stack.namespace}:unread-inbox`, chunk.map((id) => ({ id, batchId, payload: '{}' })));
        await ledger.finalize(chunk.map((id) => ({ id, batchId, status: 'succeeded' as const, attempts: 1, result: JSON.stringify({ id, batchId, status: 'succeeded', padding }) })), `${stack.namespace}:unread-callbacks`);
      }
      await ledger.seal({ batchId }, `${stack.namespace}:unread-callbacks`);
    } finally {
      await backend.close();
    }
    const pid = stack.apps.proxy.pid();
    const before = rssMb(pid);
    let peak = before;
    const series: number[] = [];
    let lines = 0;
    let bytes = 0;
    const response = await fetch(`${stack.proxyUrl}/v1/batches/${batchId}/results?wait=true`, { headers: auth });
    expect(response.status).toBe(200);
    // A slow reader: the proxy must hold back rather than buffer what the client has not taken.
    await readLines(response, (line) => {
      lines++;
      bytes += line.length + 1;
      if (lines % 5_000 === 0) {
        series.push(Math.round(rssMb(pid)));
        peak = Math.max(peak, series[series.length - 1] as number);
      }
    });
    peak = Math.max(peak, rssMb(pid));
    const metrics = await (await fetch(`${stack.proxyUrl}/metrics`)).text();
    const metric = (name: string): string => (/^(\S+) (\S+)$/m.exec(metrics.split('\n').filter((l) => l.startsWith(name)).join('\n'))?.[2] ?? '?');
    console.info(`[results stream] heap used ${metric('nodejs_heap_size_used_bytes')}, heap total ${metric('nodejs_heap_size_total_bytes')}, external ${metric('nodejs_external_memory_bytes')}`);
    console.info(`[results stream] ${lines} results, ${(bytes / 1_048_576).toFixed(1)} MB streamed; proxy RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB (+${(peak - before).toFixed(0)} MB); every 5,000 lines: ${series.join(', ')} MB`);
    expect(lines).toBe(RESULTS);
    // The same proxy process served it all: it did not run out of its old space.
    expect(stack.apps.proxy.pid()).toBe(pid);
    expect(Number(metric('nodejs_heap_size_used_bytes'))).toBeLessThan(OLD_SPACE_MB * 1_048_576);
  }, 240_000);
});

describe('results past their retention', () => {
  it('answers 404 saying so once the batch has expired, never an empty stream', async () => {
    const backend = new RedisBackend({ url: withDb(process.env['REDIS_URL'] as string, 1), keyPrefix: `retention-${Date.now().toString(36)}` });
    const ledger = backend.ledger({ retentionMs: 1_500 });
    const app = buildServiceApp({ service: 'retention-test', logger: createLogger({ service: 'retention-test', level: 'silent' }), registry: createMetrics({ service: 'retention-test' }) });
    try {
      await registerPublicApi(app, { ledger, idempotency: backend.idempotency(), deadLetters: backend.deadLetters(), inboxBacklog: async () => ({ waiting: 0, inFlight: 0, added: 0 }), apiKeys: [`e2e:${API_KEY}`] });
      await app.ready();
      const accepted = await app.inject({ method: 'POST', url: '/v1/requests', headers: { ...auth, 'content-type': 'application/json' }, payload: { requests: [{ url: 'https://api.example.com/a' }] } });
      const { batchId, ids } = accepted.json() as { batchId: string; ids: string[] };
      await ledger.finalize([{ id: ids[0] as string, batchId, status: 'succeeded', attempts: 1, result: '{"id":"x"}' }], 'retention-callbacks');
      const fresh = await app.inject({ method: 'GET', url: `/v1/batches/${batchId}/results`, headers: auth });
      expect(fresh.statusCode).toBe(200);
      expect(fresh.body).toBe('{"id":"x"}\n');
      await new Promise((resolve) => setTimeout(resolve, 1_700));
      const expired = await app.inject({ method: 'GET', url: `/v1/batches/${batchId}/results`, headers: auth });
      expect(expired.statusCode).toBe(404);
      expect(expired.json()).toMatchObject({ error: { code: 'UNKNOWN_ID', message: expect.stringContaining('past their retention') as unknown } });
    } finally {
      await app.close();
      await backend.close();
    }
  });
});

import { appendAttempt, type Envelope } from '@parc/envelope';
import { startCallbackReceiver, waitFor, type CallbackReceiver } from '@parc/testing';
import { globalNames } from '@parc/topology';
import { generateWebhookSecret, verifyWebhook } from '@parc/webhooks';
import { Registry } from 'prom-client';
import { envelopeFor, loopbackHttp, memoryBackend, type MemoryBackend } from './pipeline.fixture';
import { DEFAULT_CALLBACK_RETRY_POLICY, encodeResponse, parseCallbackJob, startResponder, type ResponderOptions, type Worker } from './index';

const names = globalNames();
const byId = (cb: CallbackReceiver, id: string) => cb.deliveries.filter((delivery) => delivery.id === id);
const secret = generateWebhookSecret();
const FAST_CALLBACKS = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 40, multiplier: 2, jitter: 'none' as const, maxRetryAfterMs: 1000 };

describe('responder', () => {
  let kafka: MemoryBackend;
  let proxy: MemoryBackend;
  let receiver: CallbackReceiver | undefined;
  let worker: Worker | undefined;
  const http = loopbackHttp();

  beforeEach(() => {
    kafka = memoryBackend();
    proxy = memoryBackend();
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await receiver?.close();
    await Promise.all([kafka.close(), proxy.close()]);
  });
  afterAll(() => http.close());

  async function start(statusFor?: (id: string, nth: number) => number, overrides: Partial<ResponderOptions> = {}) {
    receiver = await startCallbackReceiver(statusFor ? { answer: statusFor } : {});
    worker = await startResponder({
      kafka, proxy, ledger: proxy.ledger(), deadLetters: proxy.deadLetters(), names, http,
      callbacksDelayed: proxy.delayedQueue(names.callbacksDelayed, names.callbacks),
      secrets: [secret], callbackRetryPolicy: { ...DEFAULT_CALLBACK_RETRY_POLICY, ...FAST_CALLBACKS }, promoterTickMs: 10, ...overrides,
    });
    return receiver;
  }

  const finished = (cb: CallbackReceiver | undefined, extra: Partial<Envelope> = {}): Envelope => {
    const envelope = envelopeFor('https://api.example.com/x', { callback: { url: cb?.url ?? 'http://127.0.0.1:9/none', headers: { 'X-Client': 'c1', 'Content-Type': 'text/plain' } } });
    return { ...appendAttempt(envelope, { startedAt: new Date().toISOString(), durationMs: 3, status: 201 }), ...extra };
  };
  const response = (envelope: Envelope) => ({ payload: encodeResponse(envelope, { status: 'succeeded' }, Date.now()), key: envelope.id });

  it('finalises once under duplicate responses and sends exactly one signed callback that verifies', async () => {
    const cb = await start();
    const envelope = finished(cb);
    await kafka.publish(names.responsesTopic, [response(envelope), response(envelope)]);
    await kafka.publish(names.responsesTopic, [response(envelope)]);
    await waitFor('callback delivered', () => cb.deliveries.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(cb.deliveries).toHaveLength(1);

    const [callback] = cb.deliveries;
    const verified = verifyWebhook({ headers: callback?.headers ?? {}, body: callback?.body ?? '', secrets: [secret] });
    expect(verified).toMatchObject({ ok: true, id: envelope.id });
    expect(callback?.headers).toMatchObject({ 'x-client': 'c1', 'content-type': 'application/json' });
    expect(JSON.parse(callback?.body ?? '')).toMatchObject({ id: envelope.id, status: 'succeeded', attempts: envelope.attempts });

    const status = await proxy.ledger().status(envelope.id);
    expect(status).toMatchObject({ state: 'succeeded', attempts: 1, result: callback?.body });
  });

  it('records results without a callback for polling', async () => {
    await start();
    const envelope = finished(undefined);
    const { callback: _none, ...withoutCallback } = envelope;
    await kafka.publish(names.responsesTopic, [response(withoutCallback)]);
    await waitFor('finalised', async () => (await proxy.ledger().status(envelope.id))?.state === 'succeeded');
    expect(receiver?.deliveries).toHaveLength(0);
  });

  it('retries a failing callback with the same webhook-id, then delivers it', async () => {
    const cb = await start((_id, nth) => (nth < 3 ? 503 : 200));
    const envelope = finished(cb);
    await kafka.publish(names.responsesTopic, [response(envelope)]);
    await waitFor('three deliveries', () => cb.deliveries.length === 3, 5_000);
    for (const callback of cb.deliveries) {
      expect(verifyWebhook({ headers: callback.headers, body: callback.body, secrets: [secret] })).toMatchObject({ ok: true, id: envelope.id });
    }
    expect((await proxy.deadLetters().list({ limit: 10 })).items).toHaveLength(0);
  });

  it('dead-letters a callback that exhausts its retries, and one refused for good at once', async () => {
    const registry = new Registry();
    const cb = await start((id) => (id.endsWith('GONE') ? 410 : 500), { registry });
    const exhausted = finished(cb);
    const gone = finished(cb, { id: `${exhausted.id.slice(0, 22)}GONE` });
    await kafka.publish(names.responsesTopic, [response(exhausted), response(gone)]);
    await waitFor('two dead letters', async () => (await proxy.deadLetters().list({ limit: 10 })).items.length === 2, 5_000);

    expect(byId(cb, exhausted.id)).toHaveLength(3);
    expect(byId(cb, gone.id)).toHaveLength(1);
    const letters = new Map((await proxy.deadLetters().list({ limit: 10 })).items.map((letter) => [letter.id, letter]));
    expect(letters.get(exhausted.id)?.reason).toBe('retries_exhausted after 3 attempt(s): status 500');
    expect(letters.get(gone.id)?.reason).toBe('non_retryable_status after 1 attempt(s): status 410');
    const job = parseCallbackJob(letters.get(exhausted.id)?.job ?? '');
    expect(job).toMatchObject({ id: exhausted.id, url: cb.url, attempt: 3, headers: { 'X-Client': 'c1', 'Content-Type': 'text/plain' } });
    expect(JSON.parse(job.body)).toMatchObject({ id: exhausted.id, status: 'succeeded' });
    expect(await registry.getSingleMetricAsString('parc_callback_dead_letters_total')).toMatch(/ 2$/m);
  });
});

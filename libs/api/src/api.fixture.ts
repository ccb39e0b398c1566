import { MemoryBackend } from '@parc/memory';
import type { Delivery } from '@parc/queue';
import { buildServiceApp, createLogger, createMetrics, type ServiceApp } from '@parc/service-kit';
import { globalNames } from '@parc/topology';
import type { LightMyRequestResponse } from 'fastify';
import { registerPublicApi, type PublicApiOptions } from './index';

/** Test fixtures: the API on a service app with memory stores, and helpers to look inside them. */

export const SECRET = 'alice-secret-0123456789';
export const OTHER_SECRET = 'bob-secret-0123456789ab';
export const AUTH = { authorization: `Bearer ${SECRET}` };
export const INBOX = globalNames().inbox;
export const CALLBACKS = globalNames().callbacks;
/** The group whose backlog the API watches (proxy-store's, in the app). */
export const STORE_GROUP = 'proxy-store';

export interface TestApi {
  readonly app: ServiceApp;
  readonly backend: MemoryBackend;
  readonly ledger: ReturnType<MemoryBackend['ledger']>;
  /** Calls of `ledger.accept`, recorded. */
  readonly acceptCalls: { inbox: string; count: number }[];
  /** Runs before each `ledger.accept`: tests make it wait or throw. */
  beforeAccept: () => Promise<void>;
  /** Runs after each `ledger.accept` wrote: tests make it throw, as if the proxy died before answering. */
  afterAccept: () => Promise<void>;
  /** Waiting inbox entries. */
  inboxWaiting(): Promise<number>;
  /** Every message waiting in `queue` (read by a throw-away group). */
  drain(queue?: string): Promise<Delivery[]>;
  close(): Promise<void>;
}

/** Builds the API with named keys `alice` and `bob`; `overrides` replace any option. */
export async function buildTestApi(overrides: Partial<PublicApiOptions> = {}): Promise<TestApi> {
  const backend = new MemoryBackend({ maxWaitMs: 5 });
  const ledger = backend.ledger();
  const acceptCalls: { inbox: string; count: number }[] = [];
  const accept = ledger.accept.bind(ledger);
  ledger.accept = async (inbox, requests, guard) => {
    acceptCalls.push({ inbox, count: requests.length });
    await api.beforeAccept();
    const outcome = await accept(inbox, requests, guard);
    await api.afterAccept();
    return outcome;
  };
  const app = buildServiceApp({
    service: 'proxy-test',
    logger: createLogger({ service: 'proxy-test', level: 'silent' }),
    registry: createMetrics({ service: 'proxy-test' }),
  });
  const inboxWaiting = async () => (await backend.backlog(INBOX, STORE_GROUP)).waiting;
  await registerPublicApi(app, {
    ledger,
    idempotency: backend.idempotency(),
    deadLetters: backend.deadLetters(),
    inboxBacklog: () => backend.backlog(INBOX, STORE_GROUP),
    apiKeys: [`alice:${SECRET}`, `bob:${OTHER_SECRET}`],
    ...overrides,
  });
  await app.ready();
  let drains = 0;
  const drain = async (queue = INBOX): Promise<Delivery[]> => {
    const group = `drain-${++drains}`;
    const { waiting } = await backend.backlog(queue, group);
    if (waiting === 0) return [];
    const got: Delivery[] = [];
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const consumer = await backend.consume({
      queue,
      group,
      batchSize: 100_000,
      handler: async (batch) => {
        got.push(...batch);
        if (got.length >= waiting) done();
      },
    });
    await finished;
    await consumer.close();
    return got;
  };
  const api: TestApi = {
    app,
    backend,
    ledger,
    acceptCalls,
    beforeAccept: async () => undefined,
    afterAccept: async () => undefined,
    inboxWaiting,
    drain,
    close: async () => (await app.close(), await backend.close()),
  };
  return api;
}

/** POSTs a JSON batch with the test key. */
export async function postBatch(api: TestApi, body: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return api.app.inject({ method: 'POST', url: '/v1/requests', headers: { ...AUTH, ...headers }, payload: body as object });
}

/** POSTs NDJSON text (or a stream) with the test key; starts at once (inject alone waits for `then`). */
export async function postNdjson(api: TestApi, payload: string | NodeJS.ReadableStream, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return api.app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: { ...AUTH, 'content-type': 'application/x-ndjson', ...headers },
    payload,
  });
}

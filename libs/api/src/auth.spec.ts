import { ParcError } from '@parc/errors';
import { ApiKeyRing, operatorAuthorizer } from './auth';
import { OTHER_SECRET, SECRET, buildTestApi, type TestApi } from './api.fixture';

const BATCH = { requests: [{ url: 'https://api.example.com/a' }] };

describe('API keys', () => {
  let api: TestApi;
  afterEach(async () => {
    await api.close();
  });

  it.each([
    { name: 'no Authorization header', authorization: undefined, status: 401, message: 'send an API key as Authorization: Bearer <key>' },
    { name: 'another scheme', authorization: `Basic ${SECRET}`, status: 401, message: 'send an API key as Authorization: Bearer <key>' },
    { name: 'a wrong key', authorization: 'Bearer wrong-key-0123456789abc', status: 401, message: 'the API key is not valid' },
    { name: 'a prefix of a right key', authorization: `Bearer ${SECRET.slice(0, -1)}`, status: 401, message: 'the API key is not valid' },
    { name: 'the right key', authorization: `Bearer ${SECRET}`, status: 202, message: undefined },
    { name: 'the other key, any case of "bearer"', authorization: `bearer ${OTHER_SECRET}`, status: 202, message: undefined },
  ])('$name → $status', async ({ authorization, status, message }) => {
    api = await buildTestApi();
    const headers = authorization === undefined ? {} : { authorization };
    const response = await api.app.inject({ method: 'POST', url: '/v1/requests', headers, payload: BATCH });
    expect(response.statusCode).toBe(status);
    if (message !== undefined) {
      expect(response.json()).toEqual({ error: { code: 'UNAUTHORIZED', message } });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="parc"');
      expect(api.acceptCalls).toEqual([]);
    }
  });

  it('guards every /v1 route, and leaves the docs open', async () => {
    api = await buildTestApi();
    const routes = [
      ['GET', '/v1/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['DELETE', '/v1/batches/01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['GET', '/v1/callbacks/dead'],
      ['POST', '/v1/callbacks/dead/x/replay'],
    ] as const;
    for (const [method, url] of routes) {
      expect({ method, url, status: (await api.app.inject({ method, url })).statusCode }).toEqual({ method, url, status: 401 });
    }
    expect((await api.app.inject({ url: '/openapi.json' })).statusCode).toBe(200);
  });

  it('serves without keys when auth is disabled (embedded mode), and says so in the OpenAPI document', async () => {
    api = await buildTestApi({ apiKeys: [], authDisabled: true });
    const response = await api.app.inject({ method: 'POST', url: '/v1/requests', payload: BATCH });
    expect(response.statusCode).toBe(202);
    expect((await api.app.inject({ url: '/openapi.json' })).json().security).toEqual([]);
    expect(await api.app.metrics.metrics()).toMatch(/parc_api_requests_accepted_total\{api_key="anonymous"/);
  });

  it('keeps the dead-letter routes to operator keys when they are named', async () => {
    api = await buildTestApi({ operatorKeys: ['bob'] });
    const alice = await api.app.inject({ url: '/v1/callbacks/dead', headers: { authorization: `Bearer ${SECRET}` } });
    expect(alice.statusCode).toBe(403);
    expect(alice.json().error.code).toBe('FORBIDDEN');
    const bob = await api.app.inject({ url: '/v1/callbacks/dead', headers: { authorization: `Bearer ${OTHER_SECRET}` } });
    expect(bob.statusCode).toBe(200);
    const aliceIntake = await api.app.inject({ method: 'POST', url: '/v1/requests', headers: { authorization: `Bearer ${SECRET}` }, payload: BATCH });
    expect(aliceIntake.statusCode).toBe(202);
  });
});

describe('ApiKeyRing (configuration)', () => {
  it.each([
    { name: 'no keys without authDisabled', keys: [] as string[], check: 'options' },
    { name: 'a short key', keys: ['short'], check: 'ring' },
    { name: 'a duplicate name', keys: [`a:${SECRET}`, `a:${OTHER_SECRET}`], check: 'ring' },
  ])('refuses $name with CONFIG_INVALID', async ({ keys, check }) => {
    if (check === 'ring') {
      expect(() => new ApiKeyRing(keys)).toThrow(ParcError);
      return;
    }
    await expect(buildTestApi({ apiKeys: keys })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('names unnamed keys by position and accepts secret holders', () => {
    const ring = new ApiKeyRing([SECRET, { reveal: () => `ops:${OTHER_SECRET}` }]);
    expect(ring.names).toEqual(['key1', 'ops']);
    expect(ring.authenticate(`Bearer ${OTHER_SECRET}`)).toBe('ops');
  });
});

describe('operatorAuthorizer', () => {
  const keys = ['ops:operator-secret-0123456789', 'app:application-secret-0123456789'];

  it('lets any configured key in when no operator keys are named', () => {
    const authorize = operatorAuthorizer(keys);
    expect(() => authorize('Bearer application-secret-0123456789')).not.toThrow();
  });

  it('refuses a missing or unknown key with UNAUTHORIZED, and a non-operator key with FORBIDDEN', () => {
    const authorize = operatorAuthorizer(keys, ['ops']);
    expect(() => authorize('Bearer operator-secret-0123456789')).not.toThrow();
    expect(() => authorize(undefined)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    expect(() => authorize('Bearer not-a-configured-key-000')).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    expect(() => authorize('Bearer application-secret-0123456789')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});

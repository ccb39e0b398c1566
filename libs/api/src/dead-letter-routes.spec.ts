import { AUTH, CALLBACKS, buildTestApi, type TestApi } from './api.fixture';
import { resetCallbackJob } from './routes/dead-letter-routes';

const job = (id: string, attempt: number) =>
  JSON.stringify({ id, url: `https://me.example.com/cb/${id}`, headers: { 'x-a': '1' }, body: '{"id":"x"}', attempt, lastError: 'HTTP 500' });

describe('dead-letter routes', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await buildTestApi();
    await api.backend.deadLetters().add(
      ['r1', 'r2', 'r3'].map((id, index) => ({ id, deadAt: Date.UTC(2025, 0, 1, 0, 0, index), job: job(id, 8), reason: 'HTTP 500 after 8 attempts' })),
    );
  });
  afterEach(() => api.close());

  const inject = (method: 'GET' | 'POST', url: string, payload?: object) => api.app.inject({ method, url, headers: AUTH, ...(payload ? { payload } : {}) });

  it('lists dead callbacks oldest first, a page at a time', async () => {
    const page = await inject('GET', '/v1/callbacks/dead?limit=2');
    expect(page.statusCode).toBe(200);
    expect(page.json()).toEqual({
      items: [
        { id: 'r1', deadAt: '2025-01-01T00:00:00.000Z', reason: 'HTTP 500 after 8 attempts', url: 'https://me.example.com/cb/r1' },
        { id: 'r2', deadAt: '2025-01-01T00:00:01.000Z', reason: 'HTTP 500 after 8 attempts', url: 'https://me.example.com/cb/r2' },
      ],
      next: 'r2',
    });
    const rest = await inject('GET', '/v1/callbacks/dead?limit=2&after=r2');
    expect(rest.json()).toEqual({ items: [expect.objectContaining({ id: 'r3' })] });
  });

  it.each(['0', '1001', 'ten', '-1'])('400 for limit=%s (querystrings are not coerced)', async (limit) => {
    const response = await inject('GET', `/v1/callbacks/dead?limit=${limit}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details[0].path).toBe('querystring.limit');
  });

  it('shows one dead callback with its job; 404 for an unknown one', async () => {
    const response = await inject('GET', '/v1/callbacks/dead/r2');
    expect(response.json()).toMatchObject({ id: 'r2', job: JSON.parse(job('r2', 8)) });
    expect((await inject('GET', '/v1/callbacks/dead/nope')).statusCode).toBe(404);
  });

  it('replays one dead callback with its attempt count reset, into the callback queue', async () => {
    const response = await inject('POST', '/v1/callbacks/dead/r1/replay');
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ replayed: ['r1'], notFound: [] });
    const [queued] = await api.drain(CALLBACKS);
    expect(JSON.parse(queued?.payload ?? '')).toEqual({ id: 'r1', url: 'https://me.example.com/cb/r1', headers: { 'x-a': '1' }, body: '{"id":"x"}', attempt: 0 });
    expect((await inject('GET', '/v1/callbacks/dead/r1')).statusCode).toBe(404);
    expect((await inject('POST', '/v1/callbacks/dead/r1/replay')).statusCode).toBe(404);
  });

  it('replays several at once and lists the ids it did not find', async () => {
    const response = await inject('POST', '/v1/callbacks/dead/replay', { ids: ['r3', 'zz', 'r2'] });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ replayed: ['r3', 'r2'], notFound: ['zz'] });
    expect((await api.drain(CALLBACKS)).map((delivery) => delivery.key)).toEqual(['r3', 'r2']);
    const invalid = await inject('POST', '/v1/callbacks/dead/replay', { ids: [] });
    expect(invalid.statusCode).toBe(400);
  });
});

describe('resetCallbackJob', () => {
  it.each([
    { name: 'resets attempt and drops lastError', job: '{"id":"a","attempt":5,"lastError":"x","body":"b"}', expected: '{"id":"a","attempt":0,"body":"b"}' },
    { name: 'adds attempt 0 when absent', job: '{"id":"a"}', expected: '{"id":"a","attempt":0}' },
    { name: 'keeps a job that is not JSON as it is', job: 'garbage', expected: 'garbage' },
    { name: 'keeps a JSON non-object as it is', job: '[1]', expected: '[1]' },
  ])('$name', ({ job: input, expected }) => {
    expect(resetCallbackJob(input)).toBe(expected);
  });
});

import { buildTestApi, postBatch, type TestApi } from './api.fixture';

describe('OpenAPI document and docs page', () => {
  let api: TestApi;
  beforeAll(async () => (api = await buildTestApi({ limits: { maxBatchRequests: 500 } })));
  afterAll(() => api.close());

  it('is OpenAPI 3 with every route, the bearer scheme, and the shared schemas', async () => {
    const response = await api.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: 'Parc API' });
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /v1/requests',
        'GET /v1/requests/{id}',
        'DELETE /v1/requests/{id}',
        'GET /v1/batches/{id}',
        'GET /v1/batches/{id}/results',
        'DELETE /v1/batches/{id}',
        'GET /v1/callbacks/dead',
        'GET /v1/callbacks/dead/{id}',
        'POST /v1/callbacks/dead/{id}/replay',
        'POST /v1/callbacks/dead/replay',
      ].sort(),
    );
    expect(doc.components.securitySchemes.apiKey).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['RequestSpec', 'RequestDefaults', 'ErrorBody', 'ApiError', 'FinalResult']));
    expect(Object.keys(doc.components.schemas.RequestSpec.properties)).toEqual(
      expect.arrayContaining(['method', 'url', 'headers', 'body', 'bodyBase64', 'timeoutMs', 'retry', 'deadlineMs', 'delayMs', 'callback', 'metadata']),
    );
  });

  it('lists the methods Parc performs, for items and for batch defaults alike', async () => {
    const { schemas } = (await api.app.inject({ url: '/openapi.json' })).json().components;
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
    for (const name of ['RequestSpec', 'RequestDefaults']) {
      expect({ name, method: schemas[name].properties.method }).toEqual({
        name,
        method: { type: 'string', enum: methods, default: 'GET', description: expect.stringContaining('TRACE, CONNECT and others are refused') },
      });
    }
  });

  it('documents both intake formats from the validating schemas, with the configured limit, and every error as ErrorBody', async () => {
    const doc = (await api.app.inject({ url: '/openapi.json' })).json();
    const intake = doc.paths['/v1/requests'].post;
    const content = intake.requestBody.content;
    expect(Object.keys(content)).toEqual(['application/json', 'application/x-ndjson']);
    expect(content['application/json'].schema.properties.requests).toMatchObject({ maxItems: 500, items: { $ref: '#/components/schemas/RequestSpec' } });
    expect(content['application/x-ndjson'].schema).toEqual({ $ref: '#/components/schemas/RequestSpec' });
    expect(intake.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
      expect.arrayContaining(['idempotency-key', 'parc-callback-url', 'parc-callback-headers']),
    );
    for (const status of ['400', '401', '409', '413', '415', '422', '503']) {
      expect(intake.responses[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    }
    expect(doc.paths['/v1/requests/{id}'].get.responses['200'].content['application/json'].schema.properties.result).toEqual({
      $ref: '#/components/schemas/FinalResult',
    });
  });

  it('serves the Swagger UI page and its assets from the package', async () => {
    const page = await api.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui');
    const bundle = await api.app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
  });
});

it('serves no documentation with docs: false, the API itself unchanged', async () => {
  const api = await buildTestApi({ docs: false });
  try {
    expect((await api.app.inject({ url: '/openapi.json' })).statusCode).toBe(404);
    expect((await api.app.inject({ url: '/docs' })).statusCode).toBe(404);
    expect((await postBatch(api, { requests: [{ url: 'https://api.example.com/a' }] })).statusCode).toBe(202);
  } finally {
    await api.close();
  }
});

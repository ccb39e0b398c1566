import fastify from 'fastify';
import { buildServiceApp, resolveServiceDeps, serviceConfigSpec, verifyServiceContract, type ServiceApp } from '../index';

const spec = serviceConfigSpec({ port: 8099 });

describe('verifyServiceContract', () => {
  it('finds nothing wrong with an app built on the kit', async () => {
    const problems = await verifyServiceContract({
      service: 'svc',
      spec,
      build: (config, deps) => buildServiceApp(resolveServiceDeps('svc', config, deps)),
    });
    expect(problems).toEqual([]);
  });

  it('lists everything an app without the kit lacks', async () => {
    const bare = () => Object.assign(fastify(), { readiness: { markShuttingDown: () => undefined } }) as unknown as ServiceApp;
    expect(await verifyServiceContract({ service: 'svc', spec, build: bare })).toEqual([
      expect.stringContaining('GET /health/live answered 404'),
      expect.stringContaining('GET /health/ready answered 404'),
      expect.stringContaining('an unknown route answered 404'),
      expect.stringContaining('GET /metrics answered 404'),
      expect.stringContaining('GET /metrics has content type'),
      expect.stringContaining('lacks the default process metrics labelled service="svc"'),
      expect.stringContaining('GET /health/ready answered 404 while shutting down'),
    ]);
  });
});

import { verifyServiceContract } from '@parc/service-kit';
import { buildApp } from './app';
import { SERVICE, configSpec } from './config';

it(`${SERVICE} serves health, readiness, metrics and house errors`, async () => {
  expect(await verifyServiceContract({ service: SERVICE, spec: configSpec, build: buildApp })).toEqual([]);
});

import { verifyStageApp } from '@parc/runtime';
import { buildApp } from './app';
import { SERVICE, configSpec } from './config';

it(`${SERVICE} serves health, readiness, metrics and house errors`, async () => {
  expect(await verifyStageApp({ service: SERVICE, spec: configSpec, build: buildApp })).toEqual([]);
});

import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';
import { proxySpec } from '@parc/runtime';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'proxy';

/** The environment proxy reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8080 }),
  ...proxySpec,
};

export type AppConfig = ConfigOf<typeof configSpec>;

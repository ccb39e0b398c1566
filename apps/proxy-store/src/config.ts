import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';
import { proxyStoreSpec } from '@parc/runtime';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'proxy-store';

/** The environment proxy-store reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8081 }),
  ...proxyStoreSpec,
};

export type AppConfig = ConfigOf<typeof configSpec>;

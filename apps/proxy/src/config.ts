import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'proxy';

/** The environment the proxy reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8080 }),
};

export type AppConfig = ConfigOf<typeof configSpec>;

import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'responder';

/** The environment the responder reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8085 }),
};

export type AppConfig = ConfigOf<typeof configSpec>;

import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';
import { responderSpec } from '@parc/runtime';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'responder';

/** The environment responder reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8085 }),
  ...responderSpec,
};

export type AppConfig = ConfigOf<typeof configSpec>;

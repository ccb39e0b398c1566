import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';
import { parcCallerSpec } from '@parc/runtime';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'parc-caller';

/** The environment parc-caller reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8083 }),
  ...parcCallerSpec,
};

export type AppConfig = ConfigOf<typeof configSpec>;

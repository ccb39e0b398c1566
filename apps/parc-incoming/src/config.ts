import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';
import { parcIncomingSpec } from '@parc/runtime';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'parc-incoming';

/** The environment parc-incoming reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8082 }),
  ...parcIncomingSpec,
};

export type AppConfig = ConfigOf<typeof configSpec>;

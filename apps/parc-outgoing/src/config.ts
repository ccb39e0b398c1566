import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';
import { parcOutgoingSpec } from '@parc/runtime';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'parc-outgoing';

/** The environment parc-outgoing reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8084 }),
  ...parcOutgoingSpec,
};

export type AppConfig = ConfigOf<typeof configSpec>;

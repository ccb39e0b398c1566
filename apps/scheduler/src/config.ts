import { serviceConfigSpec, type ConfigOf } from '@parc/service-kit';
import { schedulerSpec } from '@parc/runtime';

/** Name of this service in logs, metrics and docs. */
export const SERVICE = 'scheduler';

/** The environment the scheduler reads; docs/configuration.md is generated from it. */
export const configSpec = {
  ...serviceConfigSpec({ port: 8086 }),
  ...schedulerSpec,
};

export type AppConfig = ConfigOf<typeof configSpec>;

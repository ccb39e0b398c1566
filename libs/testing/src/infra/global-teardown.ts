/**
 * Jest globalTeardown of jest.integration.config.js: stops what global-setup.ts started (a
 * service that came from REDIS_URL / KAFKA_BROKERS is left alone), waits for the processes to
 * exit and deletes their temp dirs.
 */
import { INFRA_GLOBAL } from './global-setup';
import type { Infrastructure } from './infrastructure';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as Record<string, unknown>;
  const infra = holder[INFRA_GLOBAL] as Infrastructure | undefined;
  if (!infra) return;
  delete holder[INFRA_GLOBAL];
  await infra.stop();
}

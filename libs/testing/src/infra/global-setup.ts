/**
 * Jest globalSetup of jest.integration.config.js: runs once per run, in the parent process,
 * before any test worker exists. It provides Redis and Kafka (libs/testing/README.md says how)
 * and exports them through process.env, which the workers inherit:
 *   REDIS_URL, KAFKA_BROKERS, PARC_TEST_REDIS_VERSION, PARC_TEST_KAFKA_VERSION, PARC_TEST_INFRA_SOURCE.
 *
 * Knobs: PARC_TEST_INFRA=auto|local|docker (restricts the ways tried after REDIS_URL /
 * KAFKA_BROKERS), PARC_KAFKA_CACHE_DIR, PARC_TEST_KAFKA_AUTO_CREATE_TOPICS=false.
 *
 * Relative imports only: Jest loads this file outside its module mapper, so `@parc/*` aliases
 * would not resolve here.
 */
import { sourcesFromEnv, startInfrastructure, type Infrastructure } from './infrastructure';

/** Where global setup leaves the running services for global teardown (same process, same globalThis). */
export const INFRA_GLOBAL = '__PARC_TEST_INFRASTRUCTURE__';

export default async function globalSetup(): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`[parc-testing] ${line}\n`);
  };
  const infra: Infrastructure = await startInfrastructure({
    sources: sourcesFromEnv(process.env['PARC_TEST_INFRA']),
    kafka: { autoCreateTopics: process.env['PARC_TEST_KAFKA_AUTO_CREATE_TOPICS'] !== 'false' },
    log,
  });
  Object.assign(process.env, infra.env);
  (globalThis as Record<string, unknown>)[INFRA_GLOBAL] = infra;
  // Jest prints nothing before the first test result, so a leading newline keeps these readable.
  process.stderr.write(`\n${infra.summary.join('\n')}\n`);
}

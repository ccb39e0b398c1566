import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from '@parc/testing';
import { BENCH_API_KEY, BENCH_WEBHOOK_SECRET, type StartSystem, type SystemProcess } from '../contract';
import { BENCH_HTTP } from './shared-work';

const ROOT = join(__dirname, '../../..');
const APPS = ['proxy', 'proxy-store', 'parc-incoming', 'parc-caller', 'parc-outgoing', 'responder'] as const;

function withDb(url: string, db: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/**
 * P: Parc as deployed — each of the six data-path apps its own process, from the built bundles
 * (dist/apps/<app>/main.js, `npm run build`), on a real Redis (the proxy's and the Parc's Redis as
 * two databases of one server) and a real Kafka broker, one Parc, default tunables. The HTTP
 * client gets the bench's shared settings through the same variables an operator would set.
 */
export const startParcSystem: StartSystem = async (options) => {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PROXY_REDIS_URL: withDb(options.redisUrl, 1),
    PARC_REDIS_URL: withDb(options.redisUrl, 2),
    KAFKA_BROKERS: options.kafkaBrokers,
    API_KEYS: `bench:${BENCH_API_KEY}`,
    WEBHOOK_SECRETS: BENCH_WEBHOOK_SECRET,
    EGRESS_ALLOW_LIST: options.egressAllowList.join(','),
    MAX_RESPONSE_BODY_BYTES: String(BENCH_HTTP.maxResponseBodyBytes),
    MAX_CONCURRENT_PER_HOST: String(BENCH_HTTP.maxConcurrentPerHost),
    CONNECT_TIMEOUT_MS: String(BENCH_HTTP.connectTimeoutMs),
  };
  const services: ServiceProcess[] = [];
  try {
    for (const app of APPS) {
      services.push(
        await startServiceProcess({ app, entry: join(ROOT, 'dist/apps', app, 'main.js'), nodeArgs: options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir, '--cpu-prof-name', `${app}.cpuprofile`] : [], env, logDir: options.logDir, readyTimeoutMs: 60_000 }),
      );
    }
  } catch (error) {
    await Promise.all(services.map((service) => service.stop()));
    throw error;
  }
  const proxy = services[0] as ServiceProcess;
  let stopped: Promise<void> | undefined;
  return {
    key: 'P',
    description:
      'Parc: proxy, proxy-store, parc-incoming, parc-caller (8 × 64 = 512 calls in flight), parc-outgoing, responder (8 × 32 = 256 callbacks in flight), one process each from the built bundles; one Redis server (proxy and Parc Redis as two databases); Kafka 4.3.1 KRaft, 4 partitions',
    ingressUrl: proxy.url,
    processes: (): SystemProcess[] => services.map((service) => ({ group: 'services', name: service.app, pid: service.pid() })),
    stop: () => {
      stopped ??= Promise.all(services.map((service) => service.stop(15_000))).then(() => undefined);
      return stopped;
    },
  };
};

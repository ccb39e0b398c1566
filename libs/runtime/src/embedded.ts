import { memoryBackends } from './contract';
import { Secret, buildServiceApp, field, resolveServiceDeps, serviceConfigSpec, type ConfigOf, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { generateWebhookSecret } from '@parc/webhooks';
import { registerDemoRoutes } from './demo';
import { mountParcCaller, parcCallerSpec } from './stages/parc-caller';
import { mountParcIncoming, parcIncomingSpec } from './stages/parc-incoming';
import { mountParcOutgoing, parcOutgoingSpec } from './stages/parc-outgoing';
import { mountProxy, proxySpec, splitApiKeys } from './stages/proxy';
import { embeddedDashboardSource, mountDashboard } from './dashboard';
import { namespaceOf } from './infrastructure';
import { appTracing } from './tracing';
import { mountProxyStore, proxyStoreSpec } from './stages/proxy-store';
import { mountResponder, responderSpec, webhookSecretsFrom } from './stages/responder';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Every stage's settings, with defaults for one process on one machine. */
export const embeddedSpec = {
  ...serviceConfigSpec({ port: 8080 }),
  ...proxySpec,
  ...proxyStoreSpec,
  ...parcIncomingSpec,
  ...parcCallerSpec,
  ...parcOutgoingSpec,
  ...responderSpec,
  host: field.string({ env: 'HOST', default: '127.0.0.1', description: 'Interface to listen on; the API needs no key only on loopback.' }),
  webhookSecrets: field.secret({
    env: 'WEBHOOK_SECRETS',
    optional: true,
    description: 'Signing secrets (whsec_…); a fresh one is generated and printed when unset.',
  }),
};

export type EmbeddedConfig = ConfigOf<typeof embeddedSpec>;

export interface EmbeddedApp {
  readonly app: ServiceApp;
  /** The secret callbacks are signed with, when it was generated here. */
  readonly generatedSecret?: string;
  /** Whether the API serves without keys (no API_KEYS, loopback only). */
  readonly authDisabled: boolean;
}

/**
 * The embedded mode: every stage in one process, all queues and stores in memory (same contracts:
 * acknowledgement, redelivery, delays), real HTTP calls, retries and signed callbacks, plus demo
 * routes. The process's own address is allow-listed so the demo target and receiver can be used.
 * Nothing survives a restart.
 */
export function buildEmbeddedApp(config: EmbeddedConfig, deps: ServiceDeps = {}): EmbeddedApp {
  const { backends, close } = memoryBackends();
  const generatedSecret = config.webhookSecrets ? undefined : generateWebhookSecret().reveal();
  const secretText = config.webhookSecrets?.reveal() ?? (generatedSecret as string);
  const self = `${config.host === 'localhost' ? '127.0.0.1' : config.host}:${config.port}`;
  const stageConfig = {
    ...config,
    webhookSecrets: new Secret(secretText),
    egressAllowList: [...(config.egressAllowList ?? []), self],
  };
  const authDisabled = !config.apiKeys && LOOPBACK.has(config.host);

  const app = buildServiceApp(resolveServiceDeps('parc-embedded', config, deps));
  // One tracing for every stage of the process, named after it (the stages would name it after the first one).
  appTracing(app, config, 'parc-embedded');
  // Registered first: Fastify runs a root's onClose hooks last-registered first, so the memory
  // backends close after every stage's workers (whose hooks come later) have stopped.
  app.addHook('onClose', close);
  mountProxy(app, stageConfig, backends, { authDisabled });
  mountProxyStore(app, stageConfig, backends);
  mountParcIncoming(app, stageConfig, backends);
  mountParcCaller(app, stageConfig, backends);
  mountParcOutgoing(app, stageConfig, backends);
  mountResponder(app, stageConfig, backends);
  registerDemoRoutes(app, webhookSecretsFrom(secretText));
  mountDashboard(app, {
    source: embeddedDashboardSource({ backends, namespace: namespaceOf(config), parcId: config.parcId, callerParallelism: config.callerConcurrency * config.callerBatchSize }),
    apiKeys: splitApiKeys(config.apiKeys),
    ...(config.operatorKeys ? { operatorKeys: config.operatorKeys } : {}),
  });
  return generatedSecret === undefined ? { app, authDisabled } : { app, generatedSecret, authDisabled };
}

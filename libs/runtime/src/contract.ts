import { MemoryBackend } from '@parc/memory';
import { verifyServiceContract, type ConfigOf, type Env, type ServiceApp, type ServiceConfigSpec, type ServiceDeps } from '@parc/service-kit';
import type { InjectedBackends } from './backends';

/** One memory backend in every role: the embedded mode, and stage apps checked without Redis or Kafka. */
export function memoryBackends(): { readonly backends: Required<InjectedBackends>; close(): Promise<void> } {
  const memory = new MemoryBackend();
  return { backends: { proxyRedis: memory, parcRedis: memory, kafka: memory }, close: () => memory.close() };
}

/** A stage app's build function, as the apps export it. */
export type StageAppBuilder<S extends ServiceConfigSpec> = (config: ConfigOf<S>, deps: ServiceDeps & { readonly backends?: InjectedBackends }) => ServiceApp;

/**
 * The service contract (health, readiness, metrics, house errors, shutdown) of a stage app, built
 * on memory backends: the check each app's spec runs. Returns the violations ([] when it holds).
 */
export async function verifyStageApp<S extends ServiceConfigSpec>(options: {
  readonly service: string;
  readonly spec: S;
  readonly build: StageAppBuilder<S>;
  readonly env?: Env;
}): Promise<string[]> {
  const { backends, close } = memoryBackends();
  try {
    return await verifyServiceContract({
      service: options.service,
      spec: options.spec,
      ...(options.env ? { env: options.env } : {}),
      build: (config, deps) => options.build(config, { ...deps, backends }),
    });
  } finally {
    await close();
  }
}

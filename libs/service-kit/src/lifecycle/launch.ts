import { isParcError } from '@parc/errors';
import { parseConfig, type Env } from '../config/parse';
import { createLogger } from '../logger';
import type { ServiceConfig, ServiceConfigSpec, ServiceDefinition } from '../service';
import { runService, type ProcessLike, type RunningService } from './run-service';

export interface LaunchOptions<S extends ServiceConfigSpec> extends ServiceDefinition<S> {
  /** `process.env`, passed in by the app's main.ts. */
  readonly env: Env;
  /** Defaults to the real `process`. */
  readonly process?: ProcessLike;
  /** See {@link RunServiceOptions.onShutdown}. */
  readonly onShutdown?: () => unknown;
}

/**
 * An app's whole `main`: parse the config from the environment, build the app, run it. A bad
 * config or a failed start is logged as one fatal JSON line and exits 1; resolves with the
 * running service otherwise (undefined when it exited).
 */
export async function launchService<S extends ServiceConfigSpec>(
  options: LaunchOptions<S>,
): Promise<RunningService | undefined> {
  const proc: ProcessLike = options.process ?? process;
  // Until the config is read there is no configured logger: failures go through a default one.
  let logger = createLogger({ service: options.service });
  try {
    const config = parseConfig(options.spec, options.env);
    const app = await options.build(config);
    logger = app.log;
    // S extends the service spec, so these fields exist; TypeScript cannot see through ConfigOf<S>.
    const { host, port, shutdownTimeoutMs } = config as unknown as ServiceConfig;
    return await runService({
      app,
      host,
      port,
      logger,
      shutdownTimeoutMs,
      onShutdown: options.onShutdown,
      process: proc,
    });
  } catch (err) {
    const message = isParcError(err, 'CONFIG_INVALID') ? err.message : `${options.service} failed to start`;
    logger.fatal({ err }, message);
    proc.exit(1);
    return undefined;
  }
}

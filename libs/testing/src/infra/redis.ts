import { join } from 'node:path';
import { startRedisContainer } from './containers';
import { detectDockerEngine } from './docker';
import { describeError, InfraUnavailableError, joinClauses } from './errors';
import { freePort } from './free-port';
import { restartable, runCommand, startProcess, waitForReady, which, type ManagedProcess } from './process';
import { compareVersions, probeRedis } from './resp-probe';
import { DEFAULT_SOURCES, once, type ProvideOptions, type ProvidedRedis } from './types';
import { createServiceDir, recordOwner, removeServiceDir } from './workdir';

/**
 * The oldest Redis the tests accept: the queue adapter needs XAUTOCLAIM (6.2) and the `lag` field
 * of XINFO GROUPS (7.0).
 */
export const MIN_REDIS_VERSION = '7.0.0';

export interface ProvideRedisOptions extends ProvideOptions {
  /** redis-server to run for the `local` source; default the one on PATH. */
  readonly redisServer?: string;
  /** Fixed port for the `local` source; default a free one. */
  readonly port?: number;
}

/** Verifies `url` answers PING, and that its version is new enough. */
export async function redisFromUrl(url: string, origin: string): Promise<ProvidedRedis> {
  let version: string;
  try {
    ({ version } = await probeRedis(url, 3_000));
  } catch (error) {
    throw new InfraUnavailableError(
      `${origin} does not answer PING / INFO server (${describeError(error)}). ` +
        'Start that Redis, or unset REDIS_URL to let the harness start one.',
    );
  }
  requireVersion(version, origin, ' Point REDIS_URL at Redis 7+, or unset it to let the harness start one.');
  return { url, version, source: 'env', description: `from ${origin.split('=')[0]}; not started or stopped by the harness`, timings: {}, stop: async () => undefined };
}

function requireVersion(version: string, origin: string, fix = ''): void {
  if (compareVersions(version, MIN_REDIS_VERSION) < 0) {
    throw new InfraUnavailableError(
      `${origin} is Redis ${version}, but the tests need Redis >= 7.0 (XAUTOCLAIM and the consumer-group lag field)${fix ? `.${fix}` : ''}`,
    );
  }
}

/** How a local redis-server persists: not at all (the default), or an append-only file with this fsync policy. */
export type RedisPersistence = 'none' | 'always' | 'everysec' | 'no';

/** A redis-server the harness started, which a fault test may kill and start again on its data. */
export interface LocalRedisServer extends ProvidedRedis {
  readonly pid: number;
  /** SIGKILL: the server dies as in a crash; its directory (and append-only file) stays. */
  kill(): Promise<void>;
  /** Starts the killed server again on the same port and directory; resolves with ms until PING answered. */
  restart(): Promise<number>;
}

/** The server's arguments: loopback only, no RDB snapshots, the append-only file as asked. */
function redisArgs(port: number, dir: string, persistence: RedisPersistence): string[] {
  // `--save ""`: no RDB snapshots; fork() for BGSAVE is not free and the AOF is what is tested.
  const aof = persistence === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', persistence];
  return ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', ...aof, '--daemonize', 'no'];
}

/**
 * Starts `redis-server` on a free loopback port in a temp dir, without persistence unless asked
 * (`persistence`: an append-only file with that `appendfsync`), and waits for PING. Stopping it
 * kills the server and deletes the dir.
 */
export async function startLocalRedis(
  options: { redisServer?: string; port?: number; env?: NodeJS.ProcessEnv; persistence?: RedisPersistence } = {},
): Promise<LocalRedisServer> {
  const bin = options.redisServer ?? which('redis-server', (options.env ?? process.env)['PATH'] ?? '');
  if (!bin) throw new InfraUnavailableError('redis-server: not found on PATH');
  const { stdout } = await runCommand(bin, ['--version'], { timeoutMs: 10_000 });
  const binVersion = /v=(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
  if (binVersion) requireVersion(binVersion, `redis-server at ${bin}`);
  const persistence = options.persistence ?? 'none';

  for (let attempt = 1; ; attempt++) {
    const dir = createServiceDir('redis');
    const port = options.port ?? (await freePort());
    const url = `redis://127.0.0.1:${port}`;
    const launch = async (): Promise<{ child: ManagedProcess; version: string }> => {
      const child = await startProcess(bin, redisArgs(port, dir, persistence), { logFile: join(dir, 'redis.log'), cwd: dir });
      recordOwner(dir, child.pid, ['redis-server', `:${port}`]);
      try {
        const { version } = await waitForReady(child, () => probeRedis(url, 500), { name: `redis-server (pid ${child.pid})`, timeoutMs: 30_000, intervalMs: 20 });
        return { child, version };
      } catch (error) {
        await child.stop(1_000);
        throw error;
      }
    };
    const started = Date.now();
    try {
      const first = await launch();
      const server = restartable('redis-server', first.child, async () => (await launch()).child);
      const readyMs = Date.now() - started;
      const kept = persistence === 'none' ? 'no persistence' : `append-only file, appendfsync ${persistence}`;
      return {
        url,
        version: first.version,
        source: 'local',
        description: `started redis-server from ${options.redisServer ? bin : 'PATH'} (${kept}), ready in ${(readyMs / 1000).toFixed(2)} s`,
        timings: { readyMs },
        get pid() {
          return server.pid;
        },
        workDir: dir,
        kill: () => server.kill(),
        restart: () => server.restart(),
        stop: once(async () => {
          await server.current().stop(5_000);
          removeServiceDir(dir);
        }),
      };
    } catch (error) {
      removeServiceDir(dir);
      // The port was taken between freePort() and the bind: try another one.
      const portTaken = /Address already in use/.test((error as Error).message);
      if (!portTaken || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

/**
 * A Redis for the tests: REDIS_URL when set (verified, never started or stopped), else a
 * `redis:7.4` container when a Docker engine answers, else redis-server from PATH. Fails with a
 * message saying what was tried and how to fix it.
 */
export async function provideRedis(options: ProvideRedisOptions = {}): Promise<ProvidedRedis> {
  const env = options.env ?? process.env;
  const sources = options.sources ?? DEFAULT_SOURCES;
  const tried: string[] = [];
  let hint = 'Install redis-server 7+ (apt-get install redis-server), or set REDIS_URL=redis://host:port.';

  if (sources.includes('env')) {
    const url = env['REDIS_URL']?.trim();
    if (url) {
      try {
        return await redisFromUrl(url, `REDIS_URL=${redactUrl(url)}`);
      } catch (error) {
        throw new InfraUnavailableError(`Cannot provide Redis for the integration tests: ${describeError(error)}`, { cause: error });
      }
    }
    tried.push('REDIS_URL is not set');
  }
  if (sources.includes('testcontainers')) {
    const docker = options.docker ?? (await detectDockerEngine({ env }));
    if (docker.available) {
      try {
        return await startRedisContainer();
      } catch (error) {
        // An engine that cannot pull or run the image (offline, quota) should not block a machine
        // that could run redis-server itself.
        tried.push(`testcontainers failed (${describeError(error)})`);
        options.log?.(`Redis via testcontainers failed, trying the next way: ${describeError(error)}`);
      }
    } else {
      tried.push(`no Docker engine is reachable (${docker.detail})`);
    }
  }
  if (sources.includes('local')) {
    try {
      return await startLocalRedis({ ...options, env });
    } catch (error) {
      if (error instanceof InfraUnavailableError) {
        tried.push(error.message);
      } else {
        tried.push(`starting redis-server failed: ${describeError(error)}`);
        hint = 'Fix the error above, or set REDIS_URL=redis://host:port.';
      }
    }
  }
  throw new InfraUnavailableError(`Cannot provide Redis for the integration tests: ${joinClauses(tried)}. ${hint}`);
}

/** The URL with its password replaced by `***`, for messages and summaries. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describeError } from './errors';

/**
 * Whether a Docker engine is reachable, decided the way testcontainers looks for one: DOCKER_HOST
 * first, else the usual socket paths. "Reachable" means `GET /_ping` answered `OK`; the `docker`
 * CLI existing proves nothing (it is installed on machines without a daemon).
 */
export interface DockerEngineStatus {
  readonly available: boolean;
  /** Where the engine is (or was looked for), e.g. `unix:///var/run/docker.sock`. */
  readonly endpoint: string;
  /** One human-readable clause for messages, e.g. `DOCKER_HOST unset, /var/run/docker.sock absent`. */
  readonly detail: string;
}

export interface DetectDockerOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Sockets to try when DOCKER_HOST is unset, in order; defaults to `defaultDockerSockets()`. */
  readonly socketPaths?: readonly string[];
  readonly timeoutMs?: number;
}

/** /var/run/docker.sock, then the rootless / Docker Desktop locations testcontainers also tries. */
export function defaultDockerSockets(env: NodeJS.ProcessEnv = process.env): string[] {
  const sockets = ['/var/run/docker.sock'];
  if (env['XDG_RUNTIME_DIR']) sockets.push(join(env['XDG_RUNTIME_DIR'], 'docker.sock'));
  sockets.push(join(homedir(), '.docker', 'run', 'docker.sock'), join(homedir(), '.docker', 'desktop', 'docker.sock'));
  return sockets;
}

/** Sends `GET /_ping` to a Docker engine over a unix socket or plain TCP; resolves on `200 OK`. */
export function pingDocker(target: { socketPath: string } | { host: string; port: number }, timeoutMs = 1_500): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').trim();
        if (res.statusCode === 200 && body === 'OK') resolve();
        else reject(new Error(`GET /_ping answered ${res.statusCode} ${JSON.stringify(body.slice(0, 80))}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET /_ping timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Looks for a reachable Docker engine (see `DockerEngineStatus`). Never throws. */
export async function detectDockerEngine(options: DetectDockerOptions = {}): Promise<DockerEngineStatus> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 1_500;
  const dockerHost = env['DOCKER_HOST']?.trim();

  if (dockerHost) {
    let url: URL;
    try {
      url = new URL(dockerHost);
    } catch {
      return { available: false, endpoint: dockerHost, detail: `DOCKER_HOST=${dockerHost} is not a URL` };
    }
    const tls = env['DOCKER_TLS_VERIFY'] !== undefined && env['DOCKER_TLS_VERIFY'] !== '' && env['DOCKER_TLS_VERIFY'] !== '0';
    if (url.protocol === 'unix:' || (url.protocol === 'tcp:' && !tls)) {
      const target =
        url.protocol === 'unix:' ? { socketPath: url.pathname } : { host: url.hostname, port: Number(url.port || 2375) };
      try {
        await pingDocker(target, timeoutMs);
        return { available: true, endpoint: dockerHost, detail: `DOCKER_HOST=${dockerHost} answered GET /_ping` };
      } catch (error) {
        return {
          available: false,
          endpoint: dockerHost,
          detail: `DOCKER_HOST=${dockerHost} did not answer GET /_ping (${describeError(error)})`,
        };
      }
    }
    // TLS, ssh:// and npipe:// need credentials or transports this probe does not have: trust the
    // setting and let testcontainers report a failure in its own words.
    return { available: true, endpoint: dockerHost, detail: `DOCKER_HOST=${dockerHost} (not pinged: ${tls ? 'TLS' : url.protocol})` };
  }

  const sockets = options.socketPaths ?? defaultDockerSockets(env);
  const tried: string[] = [];
  for (const socketPath of sockets) {
    if (!existsSync(socketPath)) {
      tried.push(`${socketPath} absent`);
      continue;
    }
    try {
      await pingDocker({ socketPath }, timeoutMs);
      return { available: true, endpoint: `unix://${socketPath}`, detail: `${socketPath} answered GET /_ping` };
    } catch (error) {
      tried.push(`${socketPath} present but GET /_ping failed (${describeError(error)})`);
    }
  }
  return { available: false, endpoint: sockets.map((s) => `unix://${s}`).join(', '), detail: ['DOCKER_HOST unset', ...tried].join(', ') };
}

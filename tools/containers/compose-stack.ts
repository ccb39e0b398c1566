/**
 * docker-compose.yml brought up for real, unchanged, on Podman (tests/containers/compose.containers.spec.ts):
 *
 * - **Compose:** Debian's `docker-compose` (Compose 1.29) against Podman's Docker-compatible API
 *   (`podman system service`), the path Podman documents for compose files. Debian's
 *   `podman-compose` 1.0.3 was tried first and cannot run this file: it ignores `--scale`,
 *   `ipv4_address` and every `depends_on` condition, and its `down` leaves the network behind.
 * - **Healthchecks:** Podman runs a container's timed healthcheck from a systemd timer, and these
 *   machines have no systemd ("unable to get systemd connection to add healthchecks"): the status
 *   would stay `starting` for ever, and `depends_on: condition: service_healthy` would never be
 *   met. `HealthcheckDriver` stands in for the timer: it runs `podman healthcheck run` (the
 *   container's own check, from the compose file or the image) for each of the project's containers
 *   that is not yet healthy, every 2 s. What it does not emulate: checks after a container is
 *   healthy, so a container that turns unhealthy later stays `healthy` here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, podman, podmanEnv, run, type RunOptions, type RunResult } from './podman';

/** Podman's Docker-compatible API on a socket of its own, for docker-compose. */
export interface DockerApi {
  /** DOCKER_HOST for docker-compose: unix://… */
  readonly dockerHost: string;
  stop(): Promise<void>;
}

/**
 * Throws, saying what to install, unless Debian's docker-compose (Compose 1.29) is here: the
 * compose test needs it and must fail loudly rather than skip.
 */
export async function requireCompose(): Promise<string> {
  const install = 'Install it with `apt-get install -y docker-compose` (Debian bookworm: Compose 1.29, which talks to Podman\'s Docker API).';
  let version: RunResult;
  try {
    version = await run('docker-compose', ['version', '--short']);
  } catch (error) {
    throw new Error(`docker-compose is not installed (${(error as Error).message}). ${install}`);
  }
  if (version.code !== 0) throw new Error(`\`docker-compose version\` failed (exit code ${version.code}): ${version.stderr.trim()}. ${install}`);
  return version.stdout.trim();
}

/** Starts `podman system service` on a private socket and waits until it answers `/_ping`. */
export async function startDockerApi(): Promise<DockerApi> {
  const dir = mkdtempSync(join(tmpdir(), 'parc-podman-api-'));
  const socket = join(dir, 'podman.sock');
  const service: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { env: podmanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  service.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = Date.now();
  while (!(await ping(socket))) {
    if (service.exitCode !== null || Date.now() - started > 30_000) {
      service.kill('SIGKILL');
      throw new Error(`Podman's Docker API (podman system service) did not answer on ${socket} within 30 s: ${stderr.trim() || `exit code ${service.exitCode}`}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    dockerHost: `unix://${socket}`,
    async stop() {
      if (service.exitCode === null) {
        const exited = new Promise((r) => service.once('exit', r));
        service.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** `docker-compose -p <project> <args>` from the repository root, on Podman's Docker API. */
export function compose(api: DockerApi, project: string, args: readonly string[], env: Record<string, string> = {}, options: RunOptions = {}): Promise<RunResult> {
  return run('docker-compose', ['-p', project, ...args], { cwd: ROOT, timeoutMs: 10 * 60_000, ...options, env: { ...process.env, ...env, DOCKER_HOST: api.dockerHost, COMPOSE_INTERACTIVE_NO_CLI: '1' } });
}

/** Names and states of a compose project's containers (all of them, running or not). */
export async function projectContainers(project: string): Promise<{ name: string; service: string; state: string; health: string }[]> {
  // Podman 4.3's `ps` prints .State as the status text ("Up 2 minutes ago"), so the state is read from .Status.
  const result = await podman(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}\t{{index .Labels "com.docker.compose.service"}}\t{{.Status}}']);
  return result.stdout
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [name = '', service = '', status = ''] = line.split('\t');
      const state = status.startsWith('Up ') ? 'running' : status.startsWith('Exited') ? 'exited' : status.split(' ')[0]?.toLowerCase() ?? '';
      return { name, service, state, health: status.match(/\((healthy|unhealthy|starting)\)/)?.[1] ?? '' };
    });
}

/**
 * Stands in for the systemd timer that would run each container's healthcheck (see the top of
 * this file): every 2 s, `podman healthcheck run` for each running container of the project whose
 * health is not yet `healthy`.
 */
export class HealthcheckDriver {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** How many checks it ran, and how many passed. */
  checks = 0;
  passed = 0;

  constructor(private readonly project: string) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), 2_000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 100));
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const pending = (await projectContainers(this.project)).filter((c) => c.state === 'running' && (c.health === 'starting' || c.health === 'unhealthy'));
      for (const container of pending) {
        this.checks++;
        if ((await podman(['healthcheck', 'run', container.name])).code === 0) this.passed++;
      }
    } finally {
      this.running = false;
    }
  }
}

import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(__dirname, '../..');

/**
 * The project's Podman settings (tools/containers/containers.conf: no default ulimits, runc),
 * which every podman call here goes through.
 */
export const CONTAINERS_CONF = join(ROOT, 'tools/containers/containers.conf');

/** `${XDG_CACHE_HOME:-~/.cache}/parc/containers`: the debootstrap tarball, Node and npm tarballs, the Kafka image's jars. */
export function containersCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'parc', 'containers');
}

/**
 * The environment podman runs with: the caller's, plus CONTAINERS_CONF, and BUILDAH_FORMAT=docker
 * (what `podman build --format docker` sets): `podman build` makes OCI images by default, which
 * have no HEALTHCHECK, and drops the Dockerfile's with only a warning ("HEALTHCHECK is not
 * supported for OCI image format and will be ignored"). Podman 4.3's build ignores
 * containers.conf's image_default_format, so it is this variable.
 */
export function podmanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, CONTAINERS_CONF, BUILDAH_FORMAT: 'docker' };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Echo the command's output, prefixed, as it comes (long builds); default false. */
  readonly echo?: boolean;
  readonly timeoutMs?: number;
}

/** Runs a command to completion and collects its output; never throws for a non-zero exit. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const echo = (chunk: Buffer) => {
      if (options.echo) process.stderr.write(chunk.toString().replace(/^(?=.)/gm, '    '));
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      echo(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      echo(chunk);
    });
    const timer = options.timeoutMs
      ? setTimeout(() => {
          stderr += `\n(killed after ${options.timeoutMs} ms)`;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A command that must succeed: throws with its output and `hint` (what to do) otherwise. */
export async function mustRun(command: string, args: readonly string[], hint: string, options: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const tail = `${result.stdout}${result.stderr}`.trimEnd().split('\n').slice(-40).join('\n');
    throw new Error(`\`${command} ${args.join(' ')}\` failed (exit code ${result.code}). ${hint}\n${tail}`);
  }
  return result;
}

/** `podman <args>` with the project's settings. */
export function podman(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run('podman', args, { ...options, env: podmanEnv(options.env) });
}

/** `podman <args>`, which must succeed. */
export function mustPodman(args: readonly string[], hint: string, options: RunOptions = {}): Promise<RunResult> {
  return mustRun('podman', args, hint, { ...options, env: podmanEnv(options.env) });
}

/**
 * Throws, saying why and what to do, unless Podman can run a container here as root: the checks
 * that follow need it, and a machine without it must fail loudly rather than skip.
 */
export async function requirePodman(): Promise<void> {
  const install = 'Install it with `apt-get install -y podman runc debootstrap` (Debian bookworm) and run as root.';
  let info: RunResult;
  try {
    info = await podman(['info', '--format', '{{.Host.OCIRuntime.Name}} {{.Store.GraphRoot}}']);
  } catch (error) {
    throw new Error(`Podman is not installed (${(error as Error).message}). ${install}`);
  }
  if (info.code !== 0) throw new Error(`Podman is installed but cannot run here: \`podman info\` failed (exit code ${info.code}): ${info.stderr.trim()}\nIt needs root, runc and ${CONTAINERS_CONF} (its comments say why); on Debian bookworm: apt-get install -y podman runc debootstrap.`);
  if (process.getuid?.() !== 0) throw new Error(`The container builds run Podman as root (debootstrap and rootful storage need it); this is uid ${process.getuid?.()}.`);
  if (!info.stdout.startsWith('runc ')) throw new Error(`Podman uses the OCI runtime "${info.stdout.split(' ')[0]}", not runc as ${CONTAINERS_CONF} asks: is runc installed (apt-get install -y runc)?`);
}

/** The value of one label of a local image, or undefined when the image does not exist. */
export async function imageLabel(image: string, label: string): Promise<string | undefined> {
  const result = await podman(['image', 'inspect', '--format', `{{index .Labels "${label}"}}`, image]);
  if (result.code !== 0) return undefined;
  const value = result.stdout.trim();
  return value === '' || value === '<no value>' ? undefined : value;
}

/** Milliseconds as seconds with one decimal, for the step lines. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Starts every Parc service as its own child process, each on its default port, from the
 * TypeScript sources (node --import tsx). Temporary: the embedded mode will replace it.
 *
 *   node --import tsx tools/dev/start-all.ts
 *
 * SIGINT/SIGTERM are forwarded to the children (their shutdown is idempotent, so the double
 * SIGINT a terminal's Ctrl-C delivers to the whole process group is harmless); the script
 * exits once every child has exited: 0 when all exited 0, else 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseConfig, type Env } from '@parc/service-kit';
import { SERVICES, type ServiceEntry } from '../services';

const ROOT = join(__dirname, '../..');

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  /** 0 for a clean exit, also for one ended by the signal we forwarded before it could drain. */
  readonly exited: Promise<number>;
}

let forwarded: NodeJS.Signals | undefined;

/** Every child gets the caller's environment except PORT: each service takes its own default. */
function childEnv(): Env {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env['PORT'];
  return env;
}

function healthUrl(service: ServiceEntry, env: Env): string {
  const { host, port } = parseConfig(service.configSpec, env);
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shown}:${port}/health/live`;
}

function start(service: ServiceEntry, env: Env): Started {
  const main = join('apps', service.SERVICE, 'src', 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      console.error(`[start-all] ${service.SERVICE} exited (${signal ?? `code ${code}`})`);
      resolve(code ?? (signal !== null && signal === forwarded ? 0 : 1));
    });
    child.on('error', (error) => {
      console.error(`[start-all] ${service.SERVICE} could not start: ${error.message}`);
      resolve(1);
    });
  });
  return { name: service.SERVICE, child, exited };
}

async function main(): Promise<number> {
  const env = childEnv();
  // Parsing here first reports a bad variable once, instead of seven fatal lines.
  const urls = SERVICES.map((service) => healthUrl(service, env));
  const started = SERVICES.map((service) => start(service, env));
  started.forEach(({ name, child }, i) => console.error(`[start-all] ${name.padEnd(14)} pid ${child.pid}  ${urls[i]}`));

  const forward = (signal: NodeJS.Signals) => {
    forwarded = signal;
    console.error(`[start-all] ${signal}: stopping every service`);
    for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  const codes = await Promise.all(started.map((s) => s.exited));
  return codes.every((code) => code === 0) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`[start-all] ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);

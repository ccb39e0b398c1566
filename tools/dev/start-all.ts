/**
 * `npm run start:stack`: every Parc service as its own OS process, against a real Redis and a
 * real Kafka — REDIS_URL / KAFKA_BROKERS when given, otherwise a local redis-server and Kafka
 * broker started through the test harness (libs/testing) and stopped again on exit.
 *
 * The stack runs through the scheduler: this starts the scheduler (port 8090) with its
 * local-process driver, which starts every other stage as processes on ports from 8080 (the
 * proxy first, so the API is at :8080), scales them with the load and restarts crashed ones.
 * `--fixed` starts the seven apps once each on their default ports (8080–8086) instead.
 *
 * The proxy's Redis and the Parc's Redis become databases 1 and 2 of that Redis unless
 * PROXY_REDIS_URL / PARC_REDIS_URL say otherwise. API_KEYS and WEBHOOK_SECRETS get development
 * values (printed) when unset. Each service takes its default port (8080–8086).
 *
 * SIGINT/SIGTERM are forwarded to the children (their shutdown is idempotent, so the double
 * SIGINT a terminal's Ctrl-C delivers to the whole process group is harmless); the script exits
 * once every child has exited and the infrastructure it started is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseConfig, type Env } from '@parc/service-kit';
import { startInfrastructure } from '@parc/testing';
import { generateWebhookSecret } from '@parc/webhooks';
import { SERVICES, type ServiceEntry } from '../services';

const ROOT = join(__dirname, '../..');
const DEV_API_KEY = 'dev:parc-development-key';

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  /** 0 for a clean exit, also for one ended by the signal we forwarded before it could drain. */
  readonly exited: Promise<number>;
}

let forwarded: NodeJS.Signals | undefined;
const say = (line: string): boolean => process.stderr.write(`[start-stack] ${line}\n`);

function withDb(url: string, db: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/** The children's environment: the caller's, plus infrastructure addresses and development secrets. */
function childEnv(infra: Readonly<Record<string, string>>): Env {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env['PORT'];
  const redisUrl = infra['REDIS_URL'] as string;
  env['PROXY_REDIS_URL'] ??= withDb(redisUrl, 1);
  env['PARC_REDIS_URL'] ??= withDb(redisUrl, 2);
  env['KAFKA_BROKERS'] = infra['KAFKA_BROKERS'];
  if (!env['API_KEYS']) {
    env['API_KEYS'] = DEV_API_KEY;
    say(`API_KEYS not set: using the development key; send "Authorization: Bearer ${DEV_API_KEY.split(':')[1]}"`);
  }
  if (!env['WEBHOOK_SECRETS']) {
    env['WEBHOOK_SECRETS'] = generateWebhookSecret().reveal();
    say(`WEBHOOK_SECRETS not set: callbacks are signed with ${env['WEBHOOK_SECRETS']}`);
  }
  return env;
}

function healthUrl(service: ServiceEntry, env: Env): string {
  const { host, port } = parseConfig(service.configSpec, env);
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shown}:${port}/health/ready`;
}

function start(service: ServiceEntry, env: Env): Started {
  const main = join('apps', service.SERVICE, 'src', 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      say(`${service.SERVICE} exited (${signal ?? `code ${code}`})`);
      resolve(code ?? (signal !== null && signal === forwarded ? 0 : 1));
    });
    child.on('error', (error) => {
      say(`${service.SERVICE} could not start: ${error.message}`);
      resolve(1);
    });
  });
  return { name: service.SERVICE, child, exited };
}

async function main(): Promise<number> {
  const infra = await startInfrastructure({ log: (line) => process.stderr.write(`${line}\n`) });
  infra.summary.forEach((line) => process.stderr.write(`${line}\n`));
  try {
    const env = childEnv(infra.env);
    // Parsing here first reports a bad variable once, instead of seven fatal lines.
    const fixed = process.argv.includes('--fixed');
    const services = fixed ? SERVICES : SERVICES.filter((service) => service.SERVICE === 'scheduler');
    if (!fixed) {
      Object.assign(env, {
        PORT: '8090',
        SCHEDULER_DRIVER: 'local',
        SCHEDULER_LOCAL_ENTRY: 'apps/{app}/src/main.ts',
        SCHEDULER_LOCAL_BASE_PORT: '8080',
      });
      say('the scheduler starts every stage and scales it: the API at http://localhost:8080, its decisions at http://localhost:8090/v1/scheduler/decisions');
    }
    const urls = services.map((service) => healthUrl(service, env));
    const started = services.map((service) => start(service, env));
    started.forEach(({ name, child }, i) => say(`${name.padEnd(14)} pid ${child.pid}  ${urls[i]}`));
    const forward = (signal: NodeJS.Signals) => {
      forwarded = signal;
      say(`${signal}: stopping every service`);
      for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const codes = await Promise.all(started.map((s) => s.exited));
    return codes.every((code) => code === 0) ? 0 : 1;
  } finally {
    await infra.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBaseImages, type BaseImages } from '../../tools/containers/base-images';
import { buildAppImage, waitUntil, workspaceApps } from '../../tools/containers/app-images';
import { HealthcheckDriver, compose, projectContainers, requireCompose, startDockerApi, type DockerApi } from '../../tools/containers/compose-stack';
import { ROOT, mustRun, podman, seconds, type RunResult } from '../../tools/containers/podman';

/**
 * docker-compose.yml, unchanged, brought up for real on Podman (tools/containers/compose-stack.ts
 * says how, and what stands in for what): the README's curl gets its 202, the demo target logs the
 * signed callback, `--scale parc-caller=3` gives three callers that all take work, an app stopped
 * and started again loses nothing, and `down` leaves nothing behind. The images are the ones
 * users build (the app images with the README's command, tests/containers/images.containers.spec.ts),
 * with Redis and Kafka from tools/containers named by the compose file's image variables.
 * When Podman cannot run on this machine, this fails and says why: it never skips.
 */
const PROJECT = 'parc';
const PROXY = 'http://127.0.0.1:8080';
const DEMO = 'http://172.28.1.10:8080';
const API_KEY = 'parc-demo-key-change-me';
const log = (line: string) => process.stderr.write(`[compose] ${line}\n`);
const steps: string[] = [];

let base: BaseImages;
let api: DockerApi | undefined;
let health: HealthcheckDriver | undefined;
let env: Record<string, string>;

/** Runs a step, records its time for the summary, and fails with compose's output when it does. */
async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await action();
  steps.push(`${name}: ${seconds(Date.now() - started)}`);
  log(`${name}: ${seconds(Date.now() - started)}`);
  return result;
}

async function mustCompose(args: readonly string[]): Promise<RunResult> {
  const result = await compose(api as DockerApi, PROJECT, args, env);
  if (result.code !== 0) throw new Error(`\`docker-compose -p ${PROJECT} ${args.join(' ')}\` failed (exit code ${result.code}):\n${result.stdout}${result.stderr}`);
  return result;
}

async function submit(requests: readonly Record<string, unknown>[]): Promise<{ status: number; batchId: string; ids: string[] }> {
  const response = await fetch(`${PROXY}/v1/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ requests, callback: { url: `${DEMO}/callbacks` } }),
  });
  const body = (await response.json()) as { batchId: string; ids: string[] };
  return { status: response.status, batchId: body.batchId, ids: body.ids ?? [] };
}

/** The demo target's callback log lines, by request id: `callback <webhook-id> for <id>: …; <signature verdict>`. */
async function demoCallbacks(): Promise<Map<string, string[]>> {
  const logs = await podman(['logs', `${PROJECT}_demo-target_1`]);
  const byId = new Map<string, string[]>();
  for (const line of logs.stdout.split('\n')) {
    const id = line.match(/^callback \S+ for (\S+):/)?.[1];
    if (id) byId.set(id, [...(byId.get(id) ?? []), line]);
  }
  return byId;
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3_000) })).status === 200;
  } catch {
    return false;
  }
}

/** The README's curl for the compose stack, as printed there (its fenced `docker compose` block). */
function readmeCurl(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = readme.match(/```sh\ndocker compose up --build\n([\s\S]*?)```/)?.[1] ?? '';
  const curl = block.match(/^curl [\s\S]*?[^\\]\n/m)?.[0];
  if (!curl) throw new Error('README.md has no `curl` in its `docker compose up --build` block: the test runs that command as written.');
  return curl.trim();
}

beforeAll(async () => {
  log(`docker-compose ${await requireCompose()} on Podman's Docker API`);
  base = await step('base images (tools/containers, cached by recipe)', () => ensureBaseImages(log));
  await step('the seven app images (podman build, the README\'s command; layers cached)', async () => {
    for (const app of workspaceApps()) await buildAppImage(app, log);
  });
  env = { PARC_REDIS_IMAGE: base.redisImage, PARC_KAFKA_IMAGE: base.kafkaImage };
  api = await step('Podman\'s Docker API (podman system service)', () => startDockerApi());
  // Leftovers of an interrupted earlier run would make `up` reuse old containers and volumes.
  await compose(api, PROJECT, ['down', '-v', '--remove-orphans', '-t', '5'], env);
  health = new HealthcheckDriver(PROJECT);
  health.start();
}, 60 * 60_000);

afterAll(async () => {
  if (api && (await projectContainers(PROJECT)).length > 0) {
    const logs = await compose(api, PROJECT, ['logs', '--no-color', '--tail', '40'], env);
    log(`logs of what was left running:\n${logs.stdout.slice(-20_000)}`);
    await compose(api, PROJECT, ['down', '-v', '-t', '5'], env);
  }
  await health?.stop();
  await api?.stop();
  log(`summary:\n  ${[...steps, `healthchecks run for the missing systemd timer: ${health?.checks ?? 0}, passed ${health?.passed ?? 0}`].join('\n  ')}`);
}, 5 * 60_000);

describe('docker-compose.yml on Podman', () => {
  it('comes up with every service running, every healthcheck passing and the topics created once', async () => {
    await step('docker-compose up -d (Redis, Kafka, topics, seven apps, demo target)', () => mustCompose(['up', '-d', '--no-build']));
    await step('proxy ready on the published port 8080', () =>
      waitUntil('the proxy\'s /health/ready on localhost:8080', 180_000, () => ready(`${PROXY}/health/ready`), async () => (await compose(api as DockerApi, PROJECT, ['logs', '--no-color', '--tail', '20'], env)).stdout),
    );
    const containers = await projectContainers(PROJECT);
    const services = [...new Set(containers.map((c) => c.service))].sort();
    expect(services).toEqual(['demo-target', 'kafka', 'kafka-topics', 'parc-redis', ...workspaceApps(), 'proxy-redis'].sort());
    for (const c of containers.filter((c) => c.service !== 'kafka-topics')) expect({ name: c.name, state: c.state }).toEqual({ name: c.name, state: 'running' });
    for (const infra of ['proxy-redis', 'parc-redis', 'kafka', 'demo-target']) {
      const c = containers.find((x) => x.service === infra);
      await waitUntil(`${infra}'s healthcheck`, 60_000, async () => (await projectContainers(PROJECT)).some((x) => x.name === c?.name && x.health === 'healthy'));
    }
    // The one-shot topic setup ran after Kafka was healthy and succeeded: the topics have the
    // compose file's 4 partitions (a stage creating a missing topic itself would have made 1).
    const topics = (await podman(['inspect', '--format', '{{.State.ExitCode}}', `${PROJECT}_kafka-topics_1`])).stdout.trim();
    expect(topics).toBe('0');
    const described = await podman(['exec', `${PROJECT}_kafka_1`, '/opt/kafka/bin/kafka-topics.sh', '--bootstrap-server', 'localhost:9092', '--describe', '--topic', 'parc.requests.p1']);
    expect(described.stdout).toMatch(/PartitionCount:\s*4/);
    for (const app of workspaceApps()) {
      await waitUntil(`${app} ready`, 120_000, async () => (await podman(['exec', `${PROJECT}_${app}_1`, 'node', '-e', "fetch('http://127.0.0.1:8080/health/ready').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"])).code === 0);
    }
  }, 10 * 60_000);

  it('answers the README\'s curl with 202, and the demo target logs the signed callback with all three attempts', async () => {
    const curl = readmeCurl();
    const answer = await mustRun('sh', ['-c', `${curl} -w '\\n%{http_code}'`], 'The README\'s curl failed.');
    const lines = answer.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toBe('202');
    const id = (JSON.parse(lines.slice(0, -1).join('\n')) as { ids: string[] }).ids[0] as string;
    await step('the README\'s request: 202 to its signed callback in the demo target\'s log', () => waitUntil(`the callback for ${id} in the demo target's log`, 60_000, async () => (await demoCallbacks()).has(id)));
    const [line] = (await demoCallbacks()).get(id) ?? [];
    log(`demo target: ${line}`);
    expect(line).toMatch(/: succeeded after 3 attempt\(s\) to http:\/\/172\.28\.1\.10:8080\/flaky\?failures=2&key=a; signature verified$/);
  }, 2 * 60_000);

  it('scales parc-caller to three with --scale, and all three take work', async () => {
    await step('docker-compose up -d --scale parc-caller=3', () => mustCompose(['up', '-d', '--no-build', '--scale', 'parc-caller=3']));
    const callers = (await projectContainers(PROJECT)).filter((c) => c.service === 'parc-caller').map((c) => c.name).sort();
    expect(callers).toEqual([`${PROJECT}_parc-caller_1`, `${PROJECT}_parc-caller_2`, `${PROJECT}_parc-caller_3`]);
    const readyCmd = ['node', '-e', "fetch('http://127.0.0.1:8080/health/ready').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"];
    for (const caller of callers) await waitUntil(`${caller} ready`, 120_000, async () => (await podman(['exec', caller, ...readyCmd])).code === 0);
    const { status, ids } = await submit(Array.from({ length: 600 }, (_, i) => ({ url: `${DEMO}/echo?delayMs=100&n=${i}` })));
    expect(status).toBe(202);
    await step('600 requests through three callers', () => waitUntil('600 callbacks', 180_000, async () => {
      const seen = await demoCallbacks();
      return ids.every((id) => seen.has(id));
    }));
    const calls = await Promise.all(callers.map(async (caller) => {
      const metrics = await podman(['exec', caller, 'node', '-e', "fetch('http://127.0.0.1:8080/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))"]);
      return metrics.stdout.split('\n').filter((l) => l.startsWith('parc_caller_calls_total')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    }));
    log(`calls per caller: ${callers.map((c, i) => `${c} ${calls[i]}`).join(', ')}`);
    for (const [i, caller] of callers.entries()) expect({ caller, tookWork: (calls[i] ?? 0) > 0 }).toEqual({ caller, tookWork: true });
  }, 10 * 60_000);

  it('loses nothing when one app container is stopped and started again mid-batch', async () => {
    // Answers spread over 10 s, so that results keep coming while the responder is away.
    const { status, batchId, ids } = await submit(Array.from({ length: 500 }, (_, i) => ({ url: `${DEMO}/echo?delayMs=${(i % 100) * 100}&restart=${i}` })));
    expect(status).toBe(202);
    // Stopped while the batch is in flight: the responder holds the results it has read from
    // Kafka and not yet delivered; `stop` sends SIGTERM, and what it had not committed is read again.
    await waitUntil('the first callbacks of the batch', 60_000, async () => {
      const seen = await demoCallbacks();
      return ids.some((id) => seen.has(id));
    });
    await step('docker-compose stop responder (mid-batch)', () => mustCompose(['stop', 'responder']));
    const seenBefore = await demoCallbacks();
    const deliveredBeforeStop = ids.filter((id) => seenBefore.has(id)).length;
    await new Promise((r) => setTimeout(r, 3_000));
    await step('docker-compose start responder', () => mustCompose(['start', 'responder']));
    await step('the rest of the 500 callbacks after the restart', () => waitUntil('500 callbacks after the restart', 180_000, async () => {
      const seen = await demoCallbacks();
      return ids.every((id) => seen.has(id));
    }));
    const seen = await demoCallbacks();
    const duplicates = ids.reduce((sum, id) => sum + (seen.get(id)?.length ?? 0) - 1, 0);
    log(`500 of 500 callbacks after stopping the responder with ${deliveredBeforeStop} delivered and starting it again; ${duplicates} delivered twice (at-least-once)`);
    // Stopped with work left: otherwise this would show nothing.
    expect(deliveredBeforeStop).toBeLessThan(500);
    for (const id of ids) expect(seen.get(id)?.every((line) => line.endsWith('; signature verified'))).toBe(true);
    const batch = (await (await fetch(`${PROXY}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { total: number; counts: Record<string, number> };
    expect({ total: batch.total, succeeded: batch.counts['succeeded'] }).toEqual({ total: 500, succeeded: 500 });
  }, 10 * 60_000);

  it('`down` removes every container and the network, keeps the named volumes, and `down -v` removes those too', async () => {
    await step('docker-compose down', () => mustCompose(['down', '-t', '30']));
    expect(await projectContainers(PROJECT)).toEqual([]);
    const networks = await podman(['network', 'ls', '--format', '{{.Name}}']);
    expect(networks.stdout.split('\n').filter((n) => n.startsWith(`${PROJECT}_`))).toEqual([]);
    const volumes = async () => (await podman(['volume', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((v) => v.startsWith(`${PROJECT}_`)).sort();
    expect(await volumes()).toEqual([`${PROJECT}_kafka`, `${PROJECT}_parc-redis`, `${PROJECT}_proxy-redis`]);
    await step('docker-compose down -v', () => mustCompose(['down', '-v']));
    expect(await volumes()).toEqual([]);
    expect((await podman(['pod', 'ls', '--format', '{{.Name}}'])).stdout.trim()).toBe('');
  }, 5 * 60_000);
});

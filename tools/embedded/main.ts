/**
 * `npm start`: the embedded mode — every stage in one process on in-memory queues, the API on
 * http://127.0.0.1:8080 (HOST and PORT to change), real HTTP calls, retries and signed callbacks.
 * Prints how to send a first batch. See README.md ("Run it").
 */
import { buildEmbeddedApp, embeddedSpec, type EmbeddedApp } from '@parc/runtime';
import { launchService } from '@parc/service-kit';

async function main(): Promise<void> {
  let embedded: EmbeddedApp | undefined;
  const running = await launchService({
    service: 'parc-embedded',
    spec: embeddedSpec,
    build: (config) => {
      embedded = buildEmbeddedApp(config);
      return embedded.app;
    },
    env: process.env,
  });
  if (running && embedded) process.stderr.write(welcome(running.url, embedded));
}

function welcome(url: string, embedded: EmbeddedApp): string {
  const base = url.replace('0.0.0.0', '127.0.0.1');
  const auth = embedded.authDisabled ? '' : " -H 'authorization: Bearer <one of your API_KEYS>'";
  const batch = JSON.stringify({
    requests: [
      { url: `${base}/demo/echo?hello=world` },
      { url: `${base}/demo/flaky?failures=2&key=first-try`, retry: { initialDelayMs: 500 } },
      { url: `${base}/demo/echo`, method: 'POST', body: '{"order":42}', headers: { 'content-type': 'application/json' } },
    ],
    callback: { url: `${base}/demo/callbacks` },
  });
  return [
    '',
    `Parc (embedded mode) is listening on ${base} — every stage in this one process, queues in memory.`,
    embedded.authDisabled ? 'The API needs no key here: no API_KEYS are set and it listens on loopback only.' : 'The API wants a key from API_KEYS.',
    embedded.generatedSecret ? `Callbacks are signed with this generated secret (set WEBHOOK_SECRETS to choose one): ${embedded.generatedSecret}` : '',
    '',
    'Send a batch (a target that answers, one that fails twice with 503 + Retry-After first, a POST):',
    `  curl -s ${base}/v1/requests -H 'content-type: application/json'${auth} -d '${batch}'`,
    'See the signed final results arrive at the demo receiver (a second or two later):',
    `  curl -s ${base}/demo/callbacks`,
    `Poll one request: curl -s ${base}/v1/requests/<id>${auth}     API docs: ${base}/docs`,
    `Watch it live: ${base}/dashboard in a browser${embedded.authDisabled ? '' : ' (it asks for an API key)'}`,
    '',
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
}

void main();

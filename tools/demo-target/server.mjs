// A demo target for `docker compose up`: answers what the URL asks for, so the pipeline has
// something slow, flaky or failing to call. Plain node:http, no dependencies.
//   GET /echo?status=503&delayMs=200&retryAfter=1   → that status after that delay
//   GET /flaky?failures=2&key=k                      → 503 for the first n calls per key, then 200
//   POST /callbacks                                   → logs each final result Parc delivers (204),
//                                                       with whether its signature verifies
// WEBHOOK_SECRETS: the secrets Parc signs with (docker-compose.yml passes the same ones), to check
// each callback's Standard Webhooks signature the way a receiver should: HMAC-SHA256 over
// `id.timestamp.body`, keyed by the base64 after `whsec_`, any `v1,` signature matching.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secrets = (process.env.WEBHOOK_SECRETS ?? '').split(/[\s,]+/).filter((s) => s.startsWith('whsec_')).map((s) => Buffer.from(s.slice(6), 'base64'));

function signatureVerdict(headers, body) {
  if (secrets.length === 0) return 'signature not checked (WEBHOOK_SECRETS unset)';
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = String(headers['webhook-signature'] ?? '').split(' ').filter((s) => s.startsWith('v1,')).map((s) => Buffer.from(s.slice(3), 'base64'));
  if (!id || !timestamp || signatures.length === 0) return 'UNSIGNED';
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return 'signature TOO OLD';
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
  const ok = secrets.some((key) => {
    const expected = createHmac('sha256', key).update(signed).digest();
    return signatures.some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected));
  });
  return ok ? 'signature verified' : 'signature DOES NOT VERIFY';
}

const calls = new Map();
const port = Number(process.env.PORT ?? 8080);

function logCallback(request, response) {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const verdict = signatureVerdict(request.headers, body);
    try {
      const result = JSON.parse(body.toString('utf8'));
      console.log(`callback ${request.headers['webhook-id']} for ${result.id}: ${result.status}${result.reason ? ` (${result.reason})` : ''} after ${result.attempts.length} attempt(s) to ${result.request.url}; ${verdict}`);
    } catch {
      console.log(`callback ${request.headers['webhook-id']}: unreadable body; ${verdict}`);
    }
    response.writeHead(204).end();
  });
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://demo');
  if (request.method === 'POST' && url.pathname === '/callbacks') return logCallback(request, response);
  const query = Object.fromEntries(url.searchParams);
  let status = Number(query.status ?? 200);
  if (url.pathname === '/flaky') {
    const key = query.key ?? 'default';
    const n = (calls.get(key) ?? 0) + 1;
    calls.set(key, n);
    status = n <= Number(query.failures ?? 2) ? 503 : 200;
  }
  const headers = { 'content-type': 'application/json' };
  if (query.retryAfter) headers['retry-after'] = query.retryAfter;
  setTimeout(() => {
    response.writeHead(status, headers).end(JSON.stringify({ path: url.pathname, query, status, at: new Date().toISOString() }));
  }, Number(query.delayMs ?? 0));
});
server.listen(port, '0.0.0.0', () => console.log(`demo target on :${port}`));
// As PID 1, Node has no default SIGTERM action: without this, `docker compose down` waits its
// full timeout and then kills the demo target.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});

// A demo target for `docker compose up`: answers what the URL asks for, so the pipeline has
// something slow, flaky or failing to call. Plain node:http, no dependencies.
//   GET /echo?status=503&delayMs=200&retryAfter=1   → that status after that delay
//   GET /flaky?failures=2&key=k                      → 503 for the first n calls per key, then 200
//   POST /callbacks                                   → logs each final result Parc delivers (204)
import { createServer } from 'node:http';

const calls = new Map();
const port = Number(process.env.PORT ?? 8080);

function logCallback(request, response) {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    try {
      const result = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      console.log(`callback ${request.headers['webhook-id']}: ${result.status}${result.reason ? ` (${result.reason})` : ''} after ${result.attempts.length} attempt(s) to ${result.request.url}`);
    } catch {
      console.log(`callback ${request.headers['webhook-id']}: unreadable body`);
    }
    response.writeHead(204).end();
  });
}

createServer((request, response) => {
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
}).listen(port, '0.0.0.0', () => console.log(`demo target on :${port}`));

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOG, ParcError, isParcError, type ErrorCode } from './index';

const docs = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');
const documentedCodes = [...docs.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);

describe('error catalog', () => {
  it('documents every code in docs/errors.md, and nothing else', () => {
    expect([...documentedCodes].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
  });

  it.each(Object.entries(ERROR_CATALOG))('docs state the status and retriability of %s', (code, def) => {
    const row = docs.split('\n').find((line) => line.startsWith(`| \`${code}\` |`)) ?? '';
    const cells = row.split('|').map((cell) => cell.trim());
    expect(cells[2]).toBe('status' in def ? String(def.status) : '—');
    expect(cells[3]).toBe(def.retriable ? 'yes' : 'no');
  });
});

describe('ParcError', () => {
  it('takes status and retriability from the catalog and keeps the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new ParcError('QUEUE_UNAVAILABLE', 'Redis at redis://x:6379 refused the connection', { cause });
    expect(error).toMatchObject({ code: 'QUEUE_UNAVAILABLE', status: 503, retriable: true, cause });
    expect(isParcError(error, 'QUEUE_UNAVAILABLE')).toBe(true);
    expect(isParcError(error, 'CONFIG_INVALID')).toBe(false);
    expect(isParcError(new Error('plain'))).toBe(false);
  });

  it('serialises to the API error body with field details', () => {
    const code: ErrorCode = 'ENVELOPE_INVALID';
    const error = new ParcError(code, 'request is invalid', { details: [{ path: 'request.url', message: 'must be http or https' }] });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      error: { code, message: 'request is invalid', details: [{ path: 'request.url', message: 'must be http or https' }] },
    });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CODE_HELP, EXIT_CODES } from './errors';

const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');

describe('libs/cli/README.md', () => {
  it('lists every exit code as parc --help does, and no other', () => {
    const table = readme.split('## Exit codes')[1]?.split('\n\n')[1] ?? '';
    const rows = table.split('\n').slice(2).map((row) => row.split('|').map((cell) => cell.trim()).slice(1, 3));
    expect(rows).toEqual(EXIT_CODE_HELP.map(([code, meaning]) => [String(code), meaning]));
    expect(new Set(EXIT_CODE_HELP.map(([code]) => code))).toEqual(new Set(Object.values(EXIT_CODES)));
  });
});

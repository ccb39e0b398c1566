import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCKED_IPV4_RANGES, BLOCKED_IPV6_RANGES, IPV4_EMBEDDINGS } from './ranges';
import { PARC_VERSION } from './version';

const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
const rootPackage = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string };

describe('README and constants agree with the code', () => {
  it.each([...BLOCKED_IPV4_RANGES, ...BLOCKED_IPV6_RANGES])('documents $cidr as "$label"', ({ cidr, label }) => {
    expect(readme).toContain(`| \`${cidr}\` | ${label} |`);
  });

  it.each([...IPV4_EMBEDDINGS])('documents the $label form ($cidr)', ({ cidr, label }) => {
    expect(readme).toMatch(new RegExp(`\\| ${label}[^|]* \\| \`${cidr.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` \\|`));
  });

  it('has the version of the root package.json in the default User-Agent', () => {
    expect(PARC_VERSION).toBe(rootPackage.version);
  });
});

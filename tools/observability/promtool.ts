import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The promtool that checks and tests Parc's alert rules: PARC_PROMTOOL when set, else the first on
 * PATH (Debian's `prometheus` package installs /usr/bin/promtool). Missing, it is an error that
 * says how to install it: the rules are never left unchecked.
 */
export function requirePromtool(): string {
  const fromEnv = process.env['PARC_PROMTOOL'];
  const candidates = fromEnv ? [fromEnv] : [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'promtool')), '/usr/bin/promtool'];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here: try the next.
    }
  }
  throw new Error(
    `promtool not found (${fromEnv ? `PARC_PROMTOOL=${fromEnv} is not executable` : 'not on PATH, nor /usr/bin/promtool'}). ` +
      'Install it with `apt-get install prometheus` (Debian/Ubuntu), or set PARC_PROMTOOL to a promtool binary.',
  );
}

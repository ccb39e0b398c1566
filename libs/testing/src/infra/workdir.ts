import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from './process';

/**
 * Temp directories of the services the harness starts, and the clean-up of ones left behind.
 * Each directory holds an owner file naming the process that started the service (the Jest
 * parent, or tools/infra/up.ts) and the service's pid. A run that was SIGKILLed never reaches
 * its teardown; the next start finds its directory, sees the owner gone, and stops the orphan.
 */

const PREFIX = 'parc-testing-';
const OWNER_FILE = 'parc-owner.json';

interface OwnerRecord {
  readonly ownerPid: number;
  readonly pid: number;
  /** Strings the service's command line must contain for the pid to be trusted as ours. */
  readonly markers: readonly string[];
}

/** Creates a fresh `parc-testing-<service>-XXXXXX` directory under the OS temp dir. */
export function createServiceDir(service: string, root = tmpdir()): string {
  return mkdtempSync(join(root, `${PREFIX}${service}-`));
}

/**
 * Records that `pid` (the service) was started by this process, for `reapOrphans`. `markers` are
 * strings its command line (as /proc shows it: redis-server rewrites its own to `redis-server
 * host:port`) must contain before a later run will kill it.
 */
export function recordOwner(dir: string, pid: number, markers: readonly string[]): void {
  const record: OwnerRecord = { ownerPid: process.pid, pid, markers };
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(record));
}

/** Deletes a service directory (errors ignored: it is temp data). */
export function removeServiceDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Stops services whose owner process has died and deletes their directories. A pid is only killed
 * when its command line (Linux /proc) still contains the recorded markers, so a recycled pid that
 * now belongs to an unrelated process is never touched. Returns the pids killed.
 */
export function reapOrphans(root = tmpdir(), minAgeMs = 10 * 60_000): number[] {
  const killed: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync(root).filter((name) => name.startsWith(PREFIX));
  } catch {
    return killed;
  }
  for (const name of entries) {
    const dir = join(root, name);
    let record: OwnerRecord | undefined;
    try {
      record = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as OwnerRecord;
    } catch {
      record = undefined;
    }
    try {
      if (record === undefined) {
        // Either being set up right now by a concurrent run, or a start that failed long ago.
        if (Date.now() - statSync(dir).mtimeMs > minAgeMs) removeServiceDir(dir);
        continue;
      }
      if (isAlive(record.ownerPid)) continue;
      const commandLine = commandLineOf(record.pid);
      if (isAlive(record.pid) && commandLine !== '' && record.markers.every((m) => commandLine.includes(m))) {
        process.kill(record.pid, 'SIGKILL');
        killed.push(record.pid);
      }
      removeServiceDir(dir);
    } catch {
      // Best effort: a directory we cannot read or a process we may not kill is left alone.
    }
  }
  return killed;
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, which } from './process';

/** Kafka 4.x brokers need Java 17 or newer. */
export const MIN_JAVA_MAJOR = 17;

/** A Java runtime found on this machine, or why none fits. */
export type JavaStatus =
  | { readonly ok: true; readonly java: string; readonly major: number; readonly version: string }
  | { readonly ok: false; readonly reason: string };

/**
 * The major version in `java -version` output: `openjdk version "17.0.15"` -> 17, and the old
 * scheme `java version "1.8.0_392"` -> 8. Undefined when there is no quoted version.
 */
export function parseJavaVersion(output: string): { major: number; version: string } | undefined {
  const match = /version "([^"]+)"/.exec(output);
  if (!match) return undefined;
  const version = match[1] as string;
  const parts = version.split(/[.+_-]/).map((part) => Number.parseInt(part, 10));
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return major === undefined || Number.isNaN(major) ? undefined : { major, version };
}

/** Finds `java` ($JAVA_HOME/bin/java first, as Kafka's own scripts do, then PATH) and checks its version. */
export async function findJava(env: NodeJS.ProcessEnv = process.env): Promise<JavaStatus> {
  const fromHome = env['JAVA_HOME'] ? join(env['JAVA_HOME'], 'bin', 'java') : undefined;
  const java = fromHome && existsSync(fromHome) ? fromHome : which('java', env['PATH'] ?? '');
  if (!java) return { ok: false, reason: 'java: not found' };
  let output: string;
  try {
    const result = await runCommand(java, ['-version'], { timeoutMs: 20_000 });
    output = result.stderr + result.stdout;
  } catch (error) {
    return { ok: false, reason: `${java} -version failed: ${(error as Error).message}` };
  }
  const parsed = parseJavaVersion(output);
  if (!parsed) return { ok: false, reason: `${java} -version printed no version: ${output.trim().slice(0, 120)}` };
  if (parsed.major < MIN_JAVA_MAJOR) {
    return { ok: false, reason: `${java} is Java ${parsed.version}; Kafka 4 needs Java ${MIN_JAVA_MAJOR}+` };
  }
  return { ok: true, java, ...parsed };
}

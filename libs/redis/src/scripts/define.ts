import type { Redis } from 'ioredis';

/** Runs a named script with its keys and arguments; the key count is taken from `keys`. */
export type ScriptRunner<Name extends string> = Record<Name, (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>>;

/**
 * Registers Lua scripts on a connection once (ioredis sends EVALSHA and falls back to EVAL when
 * the server lost its script cache) and returns typed runners. Scripts whose key count varies per
 * call are registered without a fixed `numberOfKeys`; the count is passed with each call.
 */
export function defineScripts<Name extends string>(redis: Redis, scripts: Record<Name, string>): ScriptRunner<Name> {
  const runners = {} as ScriptRunner<Name>;
  for (const [name, lua] of Object.entries(scripts) as [Name, string][]) {
    const command = `parc_${name}`;
    if (!(command in redis)) redis.defineCommand(command, { lua });
    const run = (redis as unknown as Record<string, (...values: (string | number)[]) => Promise<unknown>>)[command];
    runners[name] = (keys, args) => (run as (...values: (string | number)[]) => Promise<unknown>).call(redis, keys.length, ...keys, ...args);
  }
  return runners;
}

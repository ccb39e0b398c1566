import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '@parc/queue';
import { GLOBAL_STAGES, PARC_STAGES, stageKey, type GlobalStage, type ParcStage, type Plan, type Resources, type StageName } from '@parc/scaling';
import type { ClusterState, ParcState, ScalingDriver } from '../driver';
import { createCpuMeter, type CpuMeter } from './cpu-meter';
import { recordParcChange, seedParcRecord, type ParcRecordOptions } from './parc-records';

/** How to start one instance: the command, its arguments and environment (PORT is added). */
export interface InstanceCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export interface LocalProcessOptions extends ParcRecordOptions {
  /** What every instance inherits (the scheduler app passes its own environment). */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** The command of one instance of `stage` (of Parc `parcId` for a Parc stage). */
  readonly commandOf: (stage: StageName, parcId: string | undefined, callerParallelism: number) => InstanceCommand;
  /** Instances listen on ports from here upwards, one each. */
  readonly basePort: number;
  /** The machine's budget for Parc's stages. */
  readonly capacity: Resources;
  /** Instances' stdout and stderr go to `<logDir>/<stage>-<port>.log`; default: inherited. */
  readonly logDir?: string;
  /** Restarts of a crashed instance back off as Kubernetes does (CrashLoopBackOff), on a local scale. */
  readonly restartBackoff?: RestartBackoff;
  /** Calls in flight per caller a Parc starts with until a plan says otherwise (the policy's caller.minParallelism); default 512. */
  readonly callerParallelism?: number;
  /** Reads the CPU the instances and the machine use, for `state().cpu`; default: this machine's (pidusage, os.cpus()). */
  readonly cpuMeter?: CpuMeter;
}

/** How crashed instances are restarted: after `initialMs`, doubling per crash in a row up to `maxMs`. */
export interface RestartBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** An instance that ran this long before it crashed starts the count again. */
  readonly resetAfterMs: number;
}

/** 1 s, 2 s, 4 s, … up to 60 s; reset after a minute of running (Kubernetes: 10 s … 5 min, reset after 10 min). */
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 1_000, maxMs: 60_000, resetAfterMs: 60_000 };

/**
 * The pause before restarting an instance that crashed for the `crashesInARow`-th time in a row
 * (1 = its first crash since it last ran long enough): a stage that fails at once again and
 * again is retried ever more slowly instead of in a tight loop.
 */
export function restartDelayMs(crashesInARow: number, backoff: RestartBackoff = DEFAULT_RESTART_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, crashesInARow - 1));
}

interface Instance {
  readonly key: string;
  readonly port: number;
  readonly startedAtMs: number;
  /** Crashes in a row of the instances before this one on its port. */
  readonly crashesBefore: number;
  readonly child: ChildProcess;
  readonly callerParallelism: number;
  stopping: boolean;
  readonly exited: Promise<void>;
}

export interface LocalProcessDriver extends ScalingDriver {
  /** The ports of the running instances of a stage (`proxy`, `p1/parc-caller`, …). */
  ports(key: string): number[];
  /** Stops every instance (SIGTERM, then SIGKILL after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/**
 * Supervises the stages as processes on this machine: each instance its own process on its own
 * PORT; instances are added and removed to match the plan (newest stopped first, with SIGTERM, so
 * they drain); a crashed instance is restarted; callers are rolled onto a new parallelism. Each
 * `state()` reads the CPU its instances and the machine used (`cpuMeter`). The Parc record is
 * kept here: a new Parc's topic is created before it is recorded active; a draining one is
 * recorded so; a removed one forgotten.
 */
export async function startLocalProcessDriver(options: LocalProcessOptions): Promise<LocalProcessDriver> {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const instances = new Map<string, Instance[]>();
  const parallelism = new Map<string, number>();
  const usedPorts = new Set<number>();
  /** Crashed instances waiting out their back-off: they still count, as a pod in CrashLoopBackOff does. */
  const restarting = new Map<string, { port: number; timer: NodeJS.Timeout }[]>();
  let closing = false;

  await seedParcRecord(options.registry, options.initialParcs, now);

  /** The lowest port from basePort that no instance holds and nothing else listens on. */
  const freePort = async (): Promise<number> => {
    for (let port = options.basePort; ; port++) {
      if (usedPorts.has(port)) continue;
      usedPorts.add(port); // taken before the check, so two starts never pick the same port
      if (await canListen(port)) return port;
      usedPorts.delete(port);
    }
  };

  const backoff = options.restartBackoff ?? DEFAULT_RESTART_BACKOFF;
  const cpuMeter = options.cpuMeter ?? createCpuMeter();
  const initialParallelism = options.callerParallelism ?? 512;

  const start = async (stage: StageName, parcId: string | undefined, reusePort?: number, crashesBefore = 0): Promise<void> => {
    const port = reusePort ?? (await freePort());
    const key = stageKey(stage, parcId);
    const callers = parcId === undefined ? initialParallelism : (parallelism.get(parcId) ?? initialParallelism);
    const { command, args, env } = options.commandOf(stage, parcId, callers);
    const output = options.logDir ? openSync(join(options.logDir, `${key.replace('/', '-')}-${port}.log`), 'a') : 'inherit';
    const child = spawn(command, [...args], { env: { ...options.environment, ...env, PORT: String(port) }, stdio: ['ignore', output, output] });
    if (typeof output === 'number') closeSync(output);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const instance: Instance = { key, port, startedAtMs: Date.now(), crashesBefore, child, callerParallelism: callers, stopping: false, exited };
    instances.set(key, [...(instances.get(key) ?? []), instance]);
    child.once('exit', (code, signal) => {
      instances.set(key, (instances.get(key) ?? []).filter((other) => other !== instance));
      if (instance.stopping || closing) {
        usedPorts.delete(port);
        return;
      }
      const ranMs = Date.now() - instance.startedAtMs;
      const crashes = ranMs >= backoff.resetAfterMs ? 1 : instance.crashesBefore + 1;
      const delayMs = restartDelayMs(crashes, backoff);
      logger.warn({ stage: key, port, code, signal, ranMs, crashesInARow: crashes, restartInMs: delayMs }, `instance exited unexpectedly; restarting it in ${delayMs} ms`);
      const pending = {
        port,
        timer: setTimeout(() => {
          restarting.set(key, (restarting.get(key) ?? []).filter((other) => other !== pending));
          if (closing) usedPorts.delete(port);
          else void start(stage, parcId, port, crashes);
        }, delayMs),
      };
      pending.timer.unref();
      restarting.set(key, [...(restarting.get(key) ?? []), pending]);
    });
    logger.info({ stage: key, port, pid: child.pid }, 'instance started');
  };

  const stop = (instance: Instance): void => {
    instance.stopping = true;
    instance.child.kill('SIGTERM');
  };

  const running = (key: string): Instance[] => (instances.get(key) ?? []).filter((instance) => !instance.stopping);

  /** Instances of a stage, those waiting to be restarted included. */
  const count = (key: string): number => running(key).length + (restarting.get(key)?.length ?? 0);

  /** A caller started with another parallelism than the plan's: it is being rolled. */
  const outdated = (parcId: string, instance: Instance): boolean => instance.callerParallelism !== (parallelism.get(parcId) ?? instance.callerParallelism);

  /** The pids of the running instances, by stage key: what the CPU reading is taken of. */
  const instancePids = (): Map<string, number[]> =>
    new Map([...instances.keys()].map((key) => [key, running(key).flatMap((instance) => (instance.child.pid === undefined ? [] : [instance.child.pid]))]));

  const scaleTo = async (stage: StageName, parcId: string | undefined, desired: number): Promise<void> => {
    const key = stageKey(stage, parcId);
    for (let n = count(key); n < desired; n++) await start(stage, parcId);
    // Scaling down drops instances waiting to be restarted first, then stops the newest.
    const pending = restarting.get(key) ?? [];
    while (count(key) > desired && pending.length > 0) {
      const dropped = pending.pop() as { port: number; timer: NodeJS.Timeout };
      clearTimeout(dropped.timer);
      usedPorts.delete(dropped.port);
    }
    // Callers started with another parallelism than the plan's go first (they are being rolled).
    const current = stage === 'parc-caller' && parcId !== undefined ? [...running(key).filter((i) => !outdated(parcId, i)), ...running(key).filter((i) => outdated(parcId, i))] : running(key);
    for (const instance of current.slice(Math.max(0, desired - pending.length)).reverse()) stop(instance);
  };

  /**
   * Callers started with another parallelism than the plan's are replaced, as a Deployment rolls
   * its pods on a new CALLER_CONCURRENCY: a quarter of them (at least one) per apply, each new one
   * started before the one it replaces is told to stop, so the Parc keeps its planned count.
   */
  const rollCallers = async (parcId: string): Promise<void> => {
    const key = stageKey('parc-caller', parcId);
    const stale = running(key).filter((instance) => outdated(parcId, instance));
    for (const old of stale.slice(0, Math.max(1, Math.ceil(running(key).length / 4)))) {
      await start('parc-caller', parcId);
      stop(old);
    }
  };

  return {
    name: 'local-processes',
    ports: (key) => running(key).map((instance) => instance.port),
    state: async (): Promise<ClusterState> => {
      const records = await options.registry.list();
      const globalInstances = Object.fromEntries(GLOBAL_STAGES.map((stage) => [stage, count(stage)])) as Record<GlobalStage, number>;
      const parcs: ParcState[] = records.map((record) => ({
        id: record.id,
        state: record.state,
        createdAtMs: record.createdAtMs,
        instances: Object.fromEntries(PARC_STAGES.map((stage) => [stage, count(stageKey(stage, record.id))])) as Record<ParcStage, number>,
        callerParallelism: parallelism.get(record.id) ?? Math.max(initialParallelism, ...running(stageKey('parc-caller', record.id)).map((i) => i.callerParallelism)),
      }));
      return { globalInstances, parcs, capacity: options.capacity, cpu: await cpuMeter.read(instancePids()) };
    },
    apply: async (plan: Plan) => {
      for (const parc of plan.parcs) {
        parallelism.set(parc.id, parc.callerParallelism);
        if (parc.action === 'create') await options.createParcTopic(parc.id);
        await recordParcChange(options.registry, parc, now);
      }
      for (const stage of plan.stages) {
        await scaleTo(stage.stage, stage.parcId, stage.desired);
        if (stage.stage === 'parc-caller' && stage.parcId !== undefined && stage.desired > 0) await rollCallers(stage.parcId);
      }
    },
    close: async (graceMs = 10_000) => {
      closing = true;
      for (const pending of [...restarting.values()].flat()) clearTimeout(pending.timer);
      restarting.clear();
      const all = [...instances.values()].flat();
      for (const instance of all) stop(instance);
      const timer = setTimeout(() => all.forEach((instance) => instance.child.kill('SIGKILL')), graceMs);
      await Promise.all(all.map((instance) => instance.exited));
      clearTimeout(timer);
    },
  };
}

/** Whether a server could listen on `port` now (on every interface, as the apps do by default). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

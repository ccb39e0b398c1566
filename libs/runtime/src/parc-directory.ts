import type { Logger } from '@parc/service-kit';
import type { ParcRegistry } from '@parc/store';
import type { Closable } from './lifecycle';

/** How often proxy-store and parc-outgoing re-read the Parc record. */
export const PARC_RECORD_REFRESH_MS = 1_000;

/** The ids of the Parcs taking new work, as proxy-store and parc-outgoing route by them. */
export interface ParcDirectory extends Closable {
  /** Active Parcs from the latest read of the record; ACTIVE_PARCS while the record is empty. */
  activeIds(): readonly string[];
}

/**
 * Reads the Parc record now and every `refreshMs`: routing follows the scheduler's changes within
 * that time without a restart. With no record (no scheduler has written one) the configured
 * ACTIVE_PARCS apply; a failed read keeps the last known set and logs a warning.
 */
export async function startParcDirectory(registry: ParcRegistry, configured: readonly string[], refreshMs: number, logger: Logger): Promise<ParcDirectory> {
  let active: readonly string[] = configured;
  const refresh = async (): Promise<void> => {
    try {
      const records = await registry.list();
      const next = records.length === 0 ? configured : records.filter((record) => record.state === 'active').map((record) => record.id);
      if (next.join() !== active.join()) logger.info({ from: active, to: next }, 'active Parcs changed');
      active = next;
    } catch (error) {
      logger.warn({ err: error }, 'could not read the Parc record; routing to the last known active Parcs');
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  return {
    activeIds: () => active,
    close: async () => clearInterval(timer),
  };
}

import type { QueueLogger } from '@parc/queue';
import type { ParcPlan } from '@parc/scaling';
import type { ParcRegistry } from '@parc/store';

/** What every driver that creates and removes Parcs is given. */
export interface ParcRecordOptions {
  readonly registry: ParcRegistry;
  /** Creates a new Parc's requests topic before the Parc is recorded active. */
  readonly createParcTopic: (parcId: string) => Promise<void>;
  /** The Parcs recorded when the record is empty at start (the deployment's first Parc, p1). */
  readonly initialParcs: readonly string[];
  readonly logger?: QueueLogger;
  readonly now?: () => number;
}

/** Records `initialParcs` as active when the Parc record is empty (the first start of a cluster). */
export async function seedParcRecord(registry: ParcRegistry, initialParcs: readonly string[], now: () => number): Promise<void> {
  if ((await registry.list()).length > 0) return;
  for (const id of initialParcs) await registry.put({ id, state: 'active', createdAtMs: now() });
}

/**
 * The Parc record's side of a planned Parc change, the same for every driver: a created Parc is
 * recorded active (after its resources exist, so proxy-store never routes to a topic nobody
 * consumes), a drained one draining (new work and due retries stop going to it), a removed one
 * forgotten (after its resources are gone).
 */
export async function recordParcChange(registry: ParcRegistry, parc: ParcPlan, now: () => number): Promise<void> {
  if (parc.action === 'create') {
    await registry.put({ id: parc.id, state: 'active', createdAtMs: now() });
  } else if (parc.action === 'drain') {
    const record = (await registry.list()).find((r) => r.id === parc.id);
    await registry.put({ id: parc.id, state: 'draining', createdAtMs: record?.createdAtMs ?? now() });
  } else if (parc.action === 'remove') {
    await registry.remove(parc.id);
  }
}

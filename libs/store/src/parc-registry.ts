/**
 * The record of the Parcs: which exist and whether they take new work. The scheduler writes it
 * (a new Parc is added active once its topic exists; a surplus one turns draining, then is
 * removed); proxy-store and parc-outgoing read it, so new requests and due retries go to active
 * Parcs only. Kept in the proxy's Redis.
 */
export interface ParcRecord {
  readonly id: string;
  /** active: takes new requests and due retries; draining: finishes what it holds, takes nothing new. */
  readonly state: 'active' | 'draining';
  readonly createdAtMs: number;
}

export interface ParcRegistry {
  /** Every Parc, oldest first. */
  list(): Promise<ParcRecord[]>;
  /** Adds or replaces the record of `record.id`. */
  put(record: ParcRecord): Promise<void>;
  /** Forgets a Parc (once drained); true when it was there. */
  remove(id: string): Promise<boolean>;
}

/** Oldest first, then by id: the order `ParcRegistry.list` returns. */
export function byAge(a: ParcRecord, b: ParcRecord): number {
  return a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

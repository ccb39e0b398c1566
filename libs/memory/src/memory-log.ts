import type { Delivery, OutboundMessage, QueueBacklog } from '@parc/queue';

interface Entry {
  readonly seq: number;
  readonly payload: string;
  readonly key: string | undefined;
}

interface Lease {
  readonly entry: Entry;
  consumer: string;
  leaseUntil: number;
  deliveryCount: number;
}

interface Group {
  /** Sequence number of the next entry never delivered to this group. */
  cursor: number;
  /** Delivered, not yet acknowledged; insertion order = first delivery order. */
  readonly leases: Map<number, Lease>;
  /** No lease expires before this time, so scans for expired leases can be skipped until then. */
  nextExpiryCheck: number;
}

/** One in-memory queue: an append-only log with per-group cursors and leases, like a stream. */
export class MemoryLog {
  private readonly entries: Entry[] = [];
  private head = 0;
  private nextSeq = 1;
  private readonly groups = new Map<string, Group>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => number) {}

  append(messages: readonly OutboundMessage[]): void {
    for (const message of messages) {
      this.entries.push({ seq: this.nextSeq++, payload: message.payload, key: message.key });
    }
    this.notify();
  }

  /** Expired leases first (taken over by `consumer`), then entries never delivered to the group. */
  take(groupName: string, consumer: string, max: number, leaseMs: number): Delivery[] {
    const group = this.group(groupName);
    const now = this.now();
    const taken: Delivery[] = [];
    if (now >= group.nextExpiryCheck) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const lease of group.leases.values()) {
        if (taken.length < max && lease.leaseUntil <= now) {
          lease.consumer = consumer;
          lease.leaseUntil = now + leaseMs;
          lease.deliveryCount++;
          taken.push(toDelivery(lease));
        }
        earliest = Math.min(earliest, lease.leaseUntil);
      }
      group.nextExpiryCheck = earliest;
    }
    while (taken.length < max && group.cursor < this.nextSeq) {
      const entry = this.entryAt(group.cursor++);
      const lease: Lease = { entry, consumer, leaseUntil: now + leaseMs, deliveryCount: 1 };
      group.leases.set(entry.seq, lease);
      group.nextExpiryCheck = Math.min(group.nextExpiryCheck, lease.leaseUntil);
      taken.push(toDelivery(lease));
    }
    this.trim();
    return taken;
  }

  ack(groupName: string, ids: readonly string[]): void {
    const group = this.group(groupName);
    for (const id of ids) group.leases.delete(Number(id));
  }

  renew(groupName: string, ids: readonly string[], leaseMs: number): void {
    const group = this.group(groupName);
    const leaseUntil = this.now() + leaseMs;
    for (const id of ids) {
      const lease = group.leases.get(Number(id));
      if (lease) lease.leaseUntil = leaseUntil;
    }
  }

  /**
   * Ends the leases `consumer` holds (those of `ids`, or all of them) without acknowledging: the
   * group's next take gives them to a consumer, counting a delivery, as after a lease expiry.
   * Leases another consumer holds are left alone. Waiting consumers are woken.
   */
  handBack(groupName: string, consumer: string, ids?: readonly string[]): void {
    const group = this.group(groupName);
    const now = this.now();
    const leases = ids === undefined ? [...group.leases.values()] : ids.map((id) => group.leases.get(Number(id)));
    let handed = 0;
    for (const lease of leases) {
      if (lease === undefined || lease.consumer !== consumer) continue;
      lease.leaseUntil = now;
      handed++;
    }
    if (handed === 0) return;
    group.nextExpiryCheck = Math.min(group.nextExpiryCheck, now);
    this.notify();
  }

  /** Milliseconds until the group's earliest lease expires (Infinity when none is held). */
  msUntilNextExpiry(groupName: string): number {
    const group = this.group(groupName);
    let earliest = Number.POSITIVE_INFINITY;
    for (const lease of group.leases.values()) earliest = Math.min(earliest, lease.leaseUntil);
    return Math.max(0, earliest - this.now());
  }

  backlog(groupName: string): QueueBacklog {
    const group = this.groups.get(groupName);
    if (!group) return { waiting: this.nextSeq - this.baseSeq(), inFlight: 0, added: this.nextSeq - 1 };
    return { waiting: this.nextSeq - group.cursor, inFlight: group.leases.size, added: this.nextSeq - 1 };
  }

  /** Calls `listener` when messages may be there to take (an append, a hand-back); returns the unsubscribe function. */
  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) {
      // Like a Redis group created at id 0: a new group sees every entry still held.
      group = { cursor: this.baseSeq(), leases: new Map(), nextExpiryCheck: Number.POSITIVE_INFINITY };
      this.groups.set(name, group);
    }
    return group;
  }

  private baseSeq(): number {
    return this.entries[this.head]?.seq ?? this.nextSeq;
  }

  private entryAt(seq: number): Entry {
    const entry = this.entries[this.head + (seq - this.baseSeq())];
    if (!entry || entry.seq !== seq) throw new Error(`memory log lost entry ${seq}: a bug in trim()`);
    return entry;
  }

  /** Drops entries every group has moved past (leases keep their own entry references). */
  private trim(): void {
    let lowest = this.nextSeq;
    for (const group of this.groups.values()) lowest = Math.min(lowest, group.cursor);
    while (this.head < this.entries.length && (this.entries[this.head]?.seq ?? lowest) < lowest) this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}

function toDelivery(lease: Lease): Delivery {
  const { seq, payload, key } = lease.entry;
  return key === undefined
    ? { id: String(seq), payload, deliveryCount: lease.deliveryCount }
    : { id: String(seq), payload, key, deliveryCount: lease.deliveryCount };
}

import type { Delivery } from '@parc/queue';

/** A stream entry as ioredis returns it: [id, [field, value, field, value, …]] (fields null if deleted). */
export type RawStreamEntry = [id: string, fields: string[] | null];

/** Stream entry fields: `p` holds the payload, `k` the optional key. */
export const PAYLOAD_FIELD = 'p';
export const KEY_FIELD = 'k';

/** Turns raw entries into deliveries; entries deleted meanwhile (null fields) are skipped. */
export function toDeliveries(entries: readonly RawStreamEntry[], deliveryCounts?: ReadonlyMap<string, number>): Delivery[] {
  const deliveries: Delivery[] = [];
  for (const [id, fields] of entries) {
    if (!fields) continue;
    let payload: string | undefined;
    let key: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === PAYLOAD_FIELD) payload = fields[i + 1];
      else if (fields[i] === KEY_FIELD) key = fields[i + 1];
    }
    if (payload === undefined) continue;
    const deliveryCount = deliveryCounts?.get(id) ?? 1;
    deliveries.push(key === undefined ? { id, payload, deliveryCount } : { id, payload, key, deliveryCount });
  }
  return deliveries;
}

/** The fields of a new entry, flat, for XADD. */
export function entryFields(payload: string, key: string | undefined): string[] {
  return key === undefined ? [PAYLOAD_FIELD, payload] : [PAYLOAD_FIELD, payload, KEY_FIELD, key];
}

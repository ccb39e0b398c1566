/**
 * Names of every queue, topic and key, in one place. Every Parc-local name carries the Parc id,
 * so that more Parcs can be added beside the first; Redis keys of one Parc share a `{hash tag}`
 * so that they land in one Redis Cluster slot (the Lua scripts touch several of them at once).
 */

/** Names shared by the whole installation (the proxy's Redis and the shared Kafka topics). */
export interface GlobalNames {
  /** Proxy Redis stream: accepted envelopes waiting for proxy-store. */
  readonly inbox: string;
  /** Kafka topic: final results, consumed by the responder. */
  readonly responsesTopic: string;
  /** Proxy Redis stream: callback jobs, consumed by the responder's callback sender. */
  readonly callbacks: string;
  /** Proxy Redis delayed set: callback jobs waiting for their retry. */
  readonly callbacksDelayed: string;
}

/** Names that belong to one Parc (its Kafka topic and its Redis key space). */
export interface ParcNames {
  readonly parcId: string;
  /** Kafka topic this Parc's incoming consumes. */
  readonly requestsTopic: string;
  /** Parc Redis stream: envelopes ready to be called. */
  readonly ready: string;
  /** Parc Redis stream: envelopes with a new attempt recorded. */
  readonly done: string;
  /** Parc Redis delayed set: envelopes waiting for their retry or their `notBefore`. */
  readonly delayed: string;
  /** Parc Redis stream: due envelopes on their way back to a Kafka requests topic. */
  readonly due: string;
}

/** A Parc id: lower-case letters, digits and dashes, so it is valid in topic and key names. */
export const PARC_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export function globalNames(prefix = 'parc'): GlobalNames {
  return {
    inbox: `${prefix}:inbox`,
    responsesTopic: `${prefix}.responses`,
    callbacks: `${prefix}:callbacks`,
    callbacksDelayed: `${prefix}:callbacks:delayed`,
  };
}

/** @throws Error when `parcId` does not match PARC_ID_PATTERN. */
export function parcNames(parcId: string, prefix = 'parc'): ParcNames {
  if (!PARC_ID_PATTERN.test(parcId)) {
    throw new Error(`Parc id "${parcId}" must be 1–32 lower-case letters, digits or inner dashes`);
  }
  const key = `${prefix}:{${parcId}}`;
  return {
    parcId,
    requestsTopic: `${prefix}.requests.${parcId}`,
    ready: `${key}:ready`,
    done: `${key}:done`,
    delayed: `${key}:delayed`,
    due: `${key}:due`,
  };
}

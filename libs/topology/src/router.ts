import { createHash } from 'node:crypto';

/**
 * Picks the Parc for a request among the active ones. Stable for a fixed set (the same request
 * id always maps to the same Parc), spreading ids evenly; when the set changes only new work
 * moves. Due retries may go to any active Parc.
 */
export function pickParc(requestId: string, activeParcIds: readonly string[]): string {
  if (activeParcIds.length === 0) throw new Error('No active Parc to route requests to');
  if (activeParcIds.length === 1) return activeParcIds[0] as string;
  const digest = createHash('sha1').update(requestId).digest();
  return activeParcIds[digest.readUInt32BE(0) % activeParcIds.length] as string;
}

import { registerOnce } from '@parc/service-kit';
import { BREAKER_STATES, type BreakerState, type DestinationGate } from '@parc/store';
import { Gauge, type Registry } from 'prom-client';

/** Destination keys whose breaker a caller reports, and the gate that knows their state. */
export interface BreakerWatch {
  readonly gate: Pick<DestinationGate, 'get'>;
  /** The keys the operator configured (DESTINATION_LIMITS): a short list, so the series stay few. */
  readonly keys: readonly string[];
}

/** The watches per registry: the callers mounted in one process share one gauge. */
const watchesByRegistry = new WeakMap<Registry, Set<BreakerWatch>>();

/**
 * Reports `parc_destination_breaker_state{key, state}` for `watch.keys` on `registry`: 1 for the
 * state each key's circuit breaker is in (closed, open, half_open), 0 for the others. Read from the
 * gate when /metrics is scraped, so it is the shared state every caller sees, as fresh as the
 * scrape. A key not active in the last hour has a closed breaker. A read that fails keeps the
 * key's last state (readiness reports the outage). Only configured keys are reported: keys named
 * by requests (`flowControl.key`, any origin) are unbounded and would grow the series without end;
 * they count in `parc_caller_destinations_restricted` and show in GET /v1/destinations.
 * Returns the function that stops reporting them (the caller closing).
 */
export function watchBreakers(registry: Registry, watch: BreakerWatch): () => void {
  let watches = watchesByRegistry.get(registry);
  if (watches === undefined) {
    const all = new Set<BreakerWatch>();
    watches = all;
    watchesByRegistry.set(registry, all);
    const last = new Map<string, BreakerState>();
    registerOnce(registry, 'parc_destination_breaker_state', (register) =>
      new Gauge({
        name: 'parc_destination_breaker_state',
        help: 'Circuit breaker of each destination key configured in DESTINATION_LIMITS: 1 for its state (closed, open, half_open), 0 for the others; read from the destination gate at scrape time.',
        labelNames: ['key', 'state'],
        registers: [register],
        async collect() {
          const watched = new Set([...all].flatMap(({ keys }) => keys));
          for (const key of last.keys()) if (!watched.has(key)) last.delete(key);
          await Promise.all(
            [...all].flatMap(({ gate, keys }) =>
              keys.map(async (key) => {
                const state = await gate.get(key).then(
                  (found) => found?.breaker ?? 'closed',
                  () => last.get(key),
                );
                if (state !== undefined) last.set(key, state);
              }),
            ),
          );
          this.reset();
          for (const [key, current] of last) {
            for (const state of BREAKER_STATES) this.set({ key, state }, state === current ? 1 : 0);
          }
        },
      }),
    );
  }
  watches.add(watch);
  const mine = watches;
  return () => void mine.delete(watch);
}

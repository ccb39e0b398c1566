import { MemoryDestinationGate } from '@parc/memory';
import { DEFAULT_GATE_SETTINGS, type DestinationGate } from '@parc/store';
import { Registry } from 'prom-client';
import { watchBreakers } from './breaker-gauge';
import { DestinationControl, type DestinationPolicy } from './destinations';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const PARTNER = 'https://partner.example';
const BILLING = 'https://billing.example';

/** The gauge's series as `{ key: { state: value } }`, read the way a scrape reads them. */
async function breakerSeries(registry: Registry): Promise<Record<string, Record<string, number>>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'parc_destination_breaker_state');
  const series: Record<string, Record<string, number>> = {};
  for (const { labels, value } of metric?.values ?? []) {
    const key = String(labels['key']);
    series[key] = { ...series[key], [String(labels['state'])]: value };
  }
  return series;
}

const only = (state: string): Record<string, number> => ({ closed: 0, open: 0, half_open: 0, [state]: 1 });

/** Three failed calls in a row open a key's breaker (the breaker is off by default). */
function gateWithBreaker(clock: { now: number }): MemoryDestinationGate {
  return new MemoryDestinationGate({ settings: { ...DEFAULT_GATE_SETTINGS, breaker: { ...DEFAULT_GATE_SETTINGS.breaker, consecutiveFailures: 3 } }, now: () => clock.now, random: () => 0 });
}

const failures = (key: string) => ({ key, success: 0, failure: 3, overload: 0, trailingFailures: 3, hadSuccess: false, durationMsSum: 30 });

describe('parc_destination_breaker_state', () => {
  it("reports each configured key's breaker as the gate holds it: closed, open, half_open while probing, closed again", async () => {
    const clock = { now: 1_700_000_000_000 };
    const gate = gateWithBreaker(clock);
    const registry = new Registry();
    const policy: DestinationPolicy = { defaults: {}, perOrigin: new Map([[PARTNER, { rate: 10 }], [BILLING, { parallelism: 2 }]]) };
    new DestinationControl({ gate, policy, logger: silent, registry });

    expect(await breakerSeries(registry)).toEqual({ [PARTNER]: only('closed'), [BILLING]: only('closed') });

    await gate.sync([failures(PARTNER), failures('https://not-configured.example')]);
    // The unconfigured key's breaker is open too, but it is not a series of its own.
    expect(await breakerSeries(registry)).toEqual({ [PARTNER]: only('open'), [BILLING]: only('closed') });

    clock.now += DEFAULT_GATE_SETTINGS.breaker.cooldownMs + 1;
    const [decision] = await gate.pass([{ key: PARTNER, requestId: 'r1', leaseId: 'l1', leaseMs: 10_000, limits: { rate: 10 } }]);
    expect(decision).toEqual({ kind: 'go', probe: true });
    expect((await breakerSeries(registry))[PARTNER]).toEqual(only('half_open'));

    await gate.release([{ key: PARTNER, leaseId: 'l1', outcome: 'success', durationMs: 10, probe: true }]);
    expect((await breakerSeries(registry))[PARTNER]).toEqual(only('closed'));
  });

  it('keeps the last state while the gate cannot be read, and drops the keys of a closed caller', async () => {
    const clock = { now: 1_700_000_000_000 };
    const gate = gateWithBreaker(clock);
    let reachable = true;
    const flaky: Pick<DestinationGate, 'get'> = { get: (key) => (reachable ? gate.get(key) : Promise.reject(new Error('ECONNREFUSED'))) };
    const registry = new Registry();
    const stopPartner = watchBreakers(registry, { gate: flaky, keys: [PARTNER] });
    watchBreakers(registry, { gate, keys: [BILLING] });

    await gate.sync([failures(PARTNER)]);
    expect(await breakerSeries(registry)).toEqual({ [PARTNER]: only('open'), [BILLING]: only('closed') });

    reachable = false;
    clock.now += DEFAULT_GATE_SETTINGS.breaker.cooldownMs + 1;
    await gate.pass([{ key: PARTNER, requestId: 'r1', leaseId: 'l1', leaseMs: 10_000, limits: {} }]);
    expect((await breakerSeries(registry))[PARTNER]).toEqual(only('open'));
    reachable = true;
    expect((await breakerSeries(registry))[PARTNER]).toEqual(only('half_open'));

    stopPartner();
    expect(await breakerSeries(registry)).toEqual({ [BILLING]: only('closed') });
  });

  it("stops reporting a caller's keys when its destination control closes", async () => {
    const registry = new Registry();
    const control = new DestinationControl({
      gate: new MemoryDestinationGate(),
      policy: { defaults: {}, perOrigin: new Map([[PARTNER, { rate: 10 }]]) },
      logger: silent,
      registry,
    });
    const step = control.start();
    expect(await breakerSeries(registry)).toEqual({ [PARTNER]: only('closed') });
    await step.close();
    expect(await breakerSeries(registry)).toEqual({});
  });
});

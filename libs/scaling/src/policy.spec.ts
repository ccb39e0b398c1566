import { applyPolicyOverrides, DEFAULT_SCALING_POLICY, localProcessPolicy } from './policy';

describe('applyPolicyOverrides', () => {
  it('merges any subset of fields over the defaults', () => {
    const policy = applyPolicyOverrides(DEFAULT_SCALING_POLICY, {
      drainTargetS: 5,
      stages: { 'parc-caller': { ratePerInstance: 50, max: 3, resources: { cpuMillis: 300 } } },
      parcs: { max: 2 },
    });
    expect(policy.drainTargetS).toBe(5);
    expect(policy.stages['parc-caller']).toEqual({ ...DEFAULT_SCALING_POLICY.stages['parc-caller'], ratePerInstance: 50, max: 3, resources: { cpuMillis: 300, memoryMiB: 192 } });
    expect(policy.stages.proxy).toEqual(DEFAULT_SCALING_POLICY.stages.proxy);
    expect(policy.parcs).toEqual({ ...DEFAULT_SCALING_POLICY.parcs, max: 2 });
    expect(applyPolicyOverrides(DEFAULT_SCALING_POLICY, {})).toEqual(DEFAULT_SCALING_POLICY);
  });

  it.each<[unknown, RegExp]>([
    [[], /the policy must be a JSON object/],
    [{ stages: { 'parc-callr': { max: 2 } } }, /stages\.parc-callr is not a stage \(expected one of proxy, /],
    [{ stages: { proxy: { max: -1 } } }, /stages\.proxy\.max must be a positive number/],
    [{ stages: { proxy: { min: 4, max: 2 } } }, /stages\.proxy: min 4 is above max 2/],
    [{ targetUtilisation: 1.5 }, /targetUtilisation must be at most 1/],
    [{ cpuSaturatedShare: 1.2 }, /cpuSaturatedShare must be at most 1/],
    [{ tickMs: 100 }, /tickMs is not a policy field/],
    [{ caller: { maxParallelism: '512' } }, /caller\.maxParallelism must be a positive number/],
  ])('refuses %j, naming the field', (overrides, message) => {
    expect(() => applyPolicyOverrides(DEFAULT_SCALING_POLICY, overrides)).toThrow(message);
  });
});

describe('localProcessPolicy', () => {
  it('rates an instance at what one core buys, keeps the requests the budget counts, and one proxy', () => {
    const local = localProcessPolicy(DEFAULT_SCALING_POLICY);
    for (const [name, stage] of Object.entries(DEFAULT_SCALING_POLICY.stages)) {
      const rated = local.stages[name as keyof typeof local.stages];
      expect(rated.resources).toEqual(stage.resources);
      expect(rated.ratePerInstance).toBe(Math.floor((stage.ratePerInstance * 1_000) / stage.resources.cpuMillis));
    }
    // responder: 150 m at 0.43 ms a message is 348/s; one core, 2,320/s.
    expect(local.stages.responder.ratePerInstance).toBe(2_320);
    expect(local.stages.proxy).toMatchObject({ min: 1, max: 1 });
  });
});

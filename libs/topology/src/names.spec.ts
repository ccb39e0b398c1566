import { globalNames, parcNames, pickParc } from './index';

describe('names', () => {
  it('puts the Parc id in every Parc-local name, with one Redis hash tag', () => {
    const names = parcNames('p1');
    expect(names).toEqual({
      parcId: 'p1',
      requestsTopic: 'parc.requests.p1',
      ready: 'parc:{p1}:ready',
      done: 'parc:{p1}:done',
      delayed: 'parc:{p1}:delayed',
      due: 'parc:{p1}:due',
    });
    expect(globalNames().inbox).toBe('parc:inbox');
  });

  it.each(['', 'P1', 'p_1', '-p', 'p-', 'a'.repeat(33)])('refuses the Parc id %p', (id) => {
    expect(() => parcNames(id)).toThrow(/Parc id/);
  });
});

describe('pickParc', () => {
  it('is stable per id and spreads ids over the active Parcs', () => {
    const parcs = ['p1', 'p2', 'p3'];
    const picks = Array.from({ length: 3000 }, (_, i) => pickParc(`id-${i}`, parcs));
    expect(pickParc('id-7', parcs)).toBe(picks[7]);
    for (const parc of parcs) expect(picks.filter((p) => p === parc).length).toBeGreaterThan(800);
  });

  it('refuses to route without an active Parc', () => {
    expect(() => pickParc('x', [])).toThrow(/No active Parc/);
  });
});

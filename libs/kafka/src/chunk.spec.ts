import { chunkByBytes } from './kafka-backend';

describe('chunkByBytes', () => {
  const m = (size: number) => ({ payload: 'x'.repeat(size) });

  it.each([
    { name: 'nothing', sizes: [], budget: 10, expected: [] },
    { name: 'all within the budget', sizes: [3, 3, 3], budget: 10, expected: [[3, 3, 3]] },
    { name: 'split where the budget would be passed', sizes: [4, 4, 4, 4], budget: 10, expected: [[4, 4], [4, 4]] },
    { name: 'an oversized message goes alone', sizes: [2, 30, 2], budget: 10, expected: [[2], [30], [2]] },
  ])('$name', ({ sizes, budget, expected }) => {
    expect(chunkByBytes(sizes.map(m), budget).map((chunk) => chunk.map((x) => x.payload.length))).toEqual(expected);
  });

  it('counts bytes, not characters', () => {
    expect(chunkByBytes([{ payload: 'ééé' }, { payload: 'ééé' }], 10)).toHaveLength(2);
  });
});

import { cpuMillis, memoryMiB, quantityValue } from './quantity';

describe('Kubernetes quantities', () => {
  it.each([
    ['250m', 250],
    ['1', 1_000],
    ['1.5', 1_500],
    ['2000m', 2_000],
    ['0.1', 100],
    ['100u', 1],
    ['1e3m', 1_000],
  ])('CPU %s is %d millicores', (quantity, millis) => expect(cpuMillis(quantity)).toBe(millis));

  it.each([
    ['128Mi', 128],
    ['1Gi', 1_024],
    ['134217728', 128],
    ['512Ki', 0.5],
    ['1G', 1e9 / 2 ** 20],
  ])('memory %s is %d MiB', (quantity, mib) => expect(memoryMiB(quantity)).toBeCloseTo(mib, 9));

  it.each(['', 'abc', '1.2.3', '5 Mi', '10mi', 'Mi'])('refuses %j, naming it', (quantity) => {
    expect(() => quantityValue(quantity)).toThrow(`'${quantity}' is not a Kubernetes quantity`);
  });
});

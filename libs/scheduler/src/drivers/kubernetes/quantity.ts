/**
 * Kubernetes resource quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/)
 * as the numbers the scaling model plans with. client-node has a parser but does not export it.
 */
const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** The value of a quantity in base units (cores, bytes). @throws Error naming the quantity. */
export function quantityValue(quantity: string): number {
  const match = QUANTITY.exec(quantity.trim());
  if (!match) throw new Error(`'${quantity}' is not a Kubernetes quantity`);
  return Number(match[1]) * (SUFFIX[match[2] ?? ''] as number);
}

/** CPU in millicores, rounded up (the API server rounds requests below 1m up to 1m). */
export function cpuMillis(quantity: string): number {
  return Math.ceil(quantityValue(quantity) * 1000 - 1e-9);
}

/** Memory in MiB (fractional: many small requests add up). */
export function memoryMiB(quantity: string): number {
  return quantityValue(quantity) / 2 ** 20;
}

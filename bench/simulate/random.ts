/**
 * Seeded randomness for the simulator: the same seed always gives the same run, so results can be
 * compared across controllers and reproduced byte for byte.
 */

// Jest runs specs in a vm context, where looking up a global such as `Math` is about a hundred
// times slower than reading a local: the hot loops use these module constants instead.
const { PI, cos, exp, imul, log, max, round, sqrt } = Math;

/** Uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * Mixes a seed and a stream number into a well-spread 32-bit state (multiply-xorshift rounds), so
 * that seeds 1, 2, 3 — and the streams of one seed — do not start from nearly equal states.
 */
function mix(seed: number, stream: number): number {
  let h = imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ imul(stream + 1, 0x85ebca6b);
  h = imul(h ^ (h >>> 16), 0x7feb352d);
  h = imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  // Xorshift never leaves the all-zero state.
  return h === 0 ? 0x6d2b79f5 : h >>> 0;
}

/**
 * Marsaglia's xorshift32 (shifts 13, 17, 5): period 2³² − 1, which a run of a few million draws
 * per stream is far from exhausting. `stream` separates independent sequences of one seed.
 */
export function seededRandom(seed: number, stream = 0): Random {
  let state = mix(seed, stream);
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4_294_967_296;
  };
}

/** A standard normal draw (Box–Muller; 1 − u keeps the logarithm's argument in (0, 1]). */
export function normal(random: Random): number {
  const radius = sqrt(-2 * log(1 - random()));
  return radius * cos(2 * PI * random());
}

/**
 * A Poisson draw: multiplying uniforms for small means (exact), a rounded normal with the same
 * mean and variance above 30, where the difference no longer matters and the product would
 * underflow.
 */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return max(0, round(mean + sqrt(mean) * normal(random)));
  const limit = exp(-mean);
  let count = 0;
  let product = random();
  while (product > limit) {
    count++;
    product *= random();
  }
  return count;
}

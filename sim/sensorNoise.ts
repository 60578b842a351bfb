// Depth-sensor noise for the top distractor level: per-pixel Gaussian noise and dropouts (pixels
// with no return). It is drawn from a seed the caller derives from (episode seed, step), so the
// same frame always gets the same noise, whatever was simulated (or rolled out and undone) between.
import type { SensorNoise } from './distractorLevels.ts';
import { Rng } from './rng.ts';

/** Add noise to `depth` in place: a dropout reads 1 (nothing hit), every other pixel gets N(0, sigma), clipped to 0..1. */
export function applySensorNoise(depth: Float32Array, noise: SensorNoise, seed: number): Float32Array {
  const rng = new Rng(seed);
  for (let p = 0; p < depth.length; p++) {
    // Both draws for every pixel, so a pixel's noise does not depend on whether another dropped out.
    const drop = rng.next() < noise.dropout;
    const v = depth[p] + noise.sigma * rng.normal();
    depth[p] = drop ? 1 : v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return depth;
}

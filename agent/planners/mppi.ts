// Model-predictive path integral: sample around the current mean, weight every finite candidate by
// exp(-(E - E_min) / lambda) and move the mean to the weighted average. The temperature is relative
// to the spread of the batch's energies (lambda = temperature * (mean E - min E)), so one setting
// works whatever the scale of the latent distances. Non-finite energies get weight zero.
import type { Rng } from '../../sim/rng.ts';
import { clipInPlace, type FlatBounds } from './sampling.ts';
import type { CostFn } from './types.ts';
import { floorStd, initialStd, sampleSearch, type OptimizeResult, type SearchOptions } from './searchLoop.ts';

export interface MppiOptions extends SearchOptions {
  /** Relative temperature (see above); smaller is greedier. */
  temperature: number;
  // initStd shrinks by 0.7 each iteration (down to minStd); `elites` only picks how many of the
  // best candidates are reported (display and energy curve).
}

export const MPPI_DEFAULTS: MppiOptions = {
  samples: 192, iterations: 2, horizon: 12, temperature: 0.1, initStd: 0.6, minStd: 0.05, elites: 30,
};

export function mppiOptimize(cost: CostFn, init: Float32Array, bounds: FlatBounds, opts: MppiOptions, rng: Rng): OptimizeResult {
  if (!(opts.temperature > 0)) throw new Error(`MPPI temperature must be > 0, got ${opts.temperature}`);
  const r = sampleSearch(cost, init, bounds, opts, rng, ({ iteration, batch, energy, ranked, mean, std, half }) => {
    const len = mean.length;
    const eMin = energy[ranked[0]];
    let eMean = 0;
    for (const i of ranked) eMean += energy[i];
    eMean /= ranked.length;
    const lambda = opts.temperature * (eMean - eMin) + 1e-12;
    const w = new Float64Array(ranked.length);
    let wSum = 0;
    ranked.forEach((i, k) => { w[k] = Math.exp(-(energy[i] - eMin) / lambda); wSum += w[k]; });
    const next = new Float64Array(len);
    ranked.forEach((i, k) => {
      const base = i * len;
      for (let j = 0; j < len; j++) next[j] += (w[k] / wSum) * batch[base + j];
    });
    const shrink = Math.pow(0.7, iteration + 1);
    for (let j = 0; j < len; j++) {
      mean[j] = next[j];
      std[j] = Math.max(initialStd(opts, j % 3) * half[j % 3] * shrink, floorStd(opts, j % 3) * half[j % 3]);
    }
  });
  // MPPI executes its weighted mean (smoother than the single best sample). Its energy is the
  // best sample's: the mean itself is scored as candidate 0 of the next call (warm start).
  const { mean, ...result } = r;
  clipInPlace(mean, bounds);
  return Number.isFinite(result.bestEnergy) ? { ...result, best: mean } : result;
}

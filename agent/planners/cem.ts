// Cross-entropy method over action sequences: sample around a Gaussian, keep the lowest-energy
// elites, refit the Gaussian to them, repeat; execute the final mean (averaging the elites smooths
// over sharp model errors a single best sample would exploit). Non-finite energies are never
// elites, so a NaN from the model cannot reach the distribution or the chosen plan.
import type { Rng } from '../../sim/rng.ts';
import type { FlatBounds } from './sampling.ts';
import type { CostFn } from './types.ts';
import { floorStd, sampleSearch, type OptimizeResult, type SearchOptions } from './searchLoop.ts';

export type { OptimizeResult } from './searchLoop.ts';

export interface CemOptions extends SearchOptions {
  /**
   * 'mean' executes the final mean (default); 'lower' executes whichever of the final mean and the
   * best sample has the lower energy (the oracle: its "model" is exact, so nothing to smooth).
   */
  pick?: 'mean' | 'lower';
}

export const CEM_DEFAULTS: CemOptions = { samples: 192, elites: 30, iterations: 2, horizon: 12, initStd: 0.6, minStd: 0.05 };

export function cemOptimize(cost: CostFn, init: Float32Array, bounds: FlatBounds, opts: CemOptions, rng: Rng): OptimizeResult {
  const r = sampleSearch(cost, init, bounds, opts, rng, ({ elites, mean, std, half }) => {
    // Refit the Gaussian to the elites, with the std floored so the search never freezes.
    for (let j = 0; j < mean.length; j++) {
      let m = 0;
      for (const e of elites) m += e[j];
      m /= elites.length;
      let v = 0;
      for (const e of elites) v += (e[j] - m) ** 2;
      mean[j] = m;
      std[j] = Math.max(Math.sqrt(v / elites.length), floorStd(opts, j % 3) * half[j % 3]);
    }
  });
  const { mean, ...result } = r;
  if (result.elites.length > 0) {
    // Scoring the mean costs one more rollout of a single candidate: tiny next to an iteration.
    const meanEnergy = cost(mean, 1)[0];
    const meanWins = opts.pick === 'lower' ? meanEnergy <= result.bestEnergy : true;
    if (Number.isFinite(meanEnergy) && meanWins) return { ...result, best: Float32Array.from(mean), bestEnergy: meanEnergy };
  }
  return result;
}

// Cross-entropy method over action sequences: sample around a Gaussian, keep the lowest-energy
// elites, refit the Gaussian to them, repeat; execute the final mean (averaging the elites smooths
// over sharp model errors a single best sample would exploit). Non-finite energies are never
// elites, so a NaN from the model cannot reach the distribution or the chosen plan.
import type { Rng } from '../../sim/rng.ts';
import type { CostFn, IterationEnergy } from './types.ts';
import { candidate, clipInPlace, halfRange, rankFinite, sampleGaussianBatch, type FlatBounds } from './sampling.ts';

export interface CemOptions {
  samples: number;
  elites: number;
  iterations: number;
  horizon: number;
  /** Initial standard deviation as a fraction of each component's half-range. */
  initStd: number;
  /** Floor on the standard deviation (fraction of half-range), so the search never freezes. */
  minStd: number;
  /** Lag-one correlation of the sampling noise over the horizon (0 = white noise). */
  correlation?: number;
  /**
   * 'mean' executes the final mean (default); 'lower' executes whichever of the final mean and the
   * best sample has the lower energy (the oracle: its "model" is exact, so nothing to smooth).
   */
  pick?: 'mean' | 'lower';
}

export const CEM_DEFAULTS: CemOptions = { samples: 300, elites: 30, iterations: 3, horizon: 5, initStd: 0.6, minStd: 0.05 };

export interface OptimizeResult {
  /** The sequence to execute (CEM: the final mean if its energy is finite, else the best sample). */
  best: Float32Array;
  bestEnergy: number;
  elites: Float32Array[];
  eliteEnergies: number[];
  energyPerIteration: IterationEnergy[];
  discarded: number;
}

export function validateSearch(o: { samples: number; elites: number; iterations: number; horizon: number }): void {
  if (!(o.samples >= 2 && o.elites >= 1 && o.elites <= o.samples && o.iterations >= 1 && o.horizon >= 1)) {
    throw new Error(`invalid search settings: samples ${o.samples}, elites ${o.elites}, iterations ${o.iterations}, horizon ${o.horizon}`);
  }
}

export function cemOptimize(cost: CostFn, init: Float32Array, bounds: FlatBounds, opts: CemOptions, rng: Rng): OptimizeResult {
  validateSearch(opts);
  const len = init.length;
  const half = halfRange(bounds);
  const mean = clipInPlace(Float32Array.from(init), bounds);
  const std = new Float32Array(len).map((_, j) => opts.initStd * half[j % 3]);
  const batch = new Float32Array(opts.samples * len);
  let best = Float32Array.from(mean);
  let bestEnergy = Number.POSITIVE_INFINITY;
  let elites: Float32Array[] = [];
  let eliteEnergies: number[] = [];
  const energyPerIteration: IterationEnergy[] = [];
  let discarded = 0;

  for (let it = 0; it < opts.iterations; it++) {
    sampleGaussianBatch(rng, mean, std, opts.samples, bounds, batch, opts.correlation ?? 0);
    const energy = cost(batch, opts.samples);
    const ranked = rankFinite(energy);
    discarded += opts.samples - ranked.length;
    if (ranked.length === 0) {
      energyPerIteration.push({ best: Number.NaN, eliteMean: Number.NaN });
      continue; // keep the distribution; the next draw may avoid whatever produced the NaNs
    }
    const top = ranked.slice(0, Math.min(opts.elites, ranked.length));
    elites = top.map((i) => candidate(batch, i, len));
    eliteEnergies = top.map((i) => energy[i]);
    energyPerIteration.push({ best: eliteEnergies[0], eliteMean: eliteEnergies.reduce((s, e) => s + e, 0) / top.length });
    if (eliteEnergies[0] < bestEnergy) {
      bestEnergy = eliteEnergies[0];
      best = Float32Array.from(elites[0]);
    }
    for (let j = 0; j < len; j++) {
      let m = 0;
      for (const e of elites) m += e[j];
      m /= elites.length;
      let v = 0;
      for (const e of elites) v += (e[j] - m) ** 2;
      mean[j] = m;
      std[j] = Math.max(Math.sqrt(v / elites.length), opts.minStd * half[j % 3]);
    }
  }
  if (elites.length > 0) {
    // Scoring the mean costs one more rollout of a single candidate: tiny next to an iteration.
    const meanEnergy = cost(mean, 1)[0];
    const meanWins = opts.pick === 'lower' ? meanEnergy <= bestEnergy : true;
    if (Number.isFinite(meanEnergy) && meanWins) return { best: Float32Array.from(mean), bestEnergy: meanEnergy, elites, eliteEnergies, energyPerIteration, discarded };
  }
  return { best, bestEnergy, elites, eliteEnergies, energyPerIteration, discarded };
}

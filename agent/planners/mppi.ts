// Model-predictive path integral: sample around the current mean, weight every finite candidate by
// exp(-(E - E_min) / lambda) and move the mean to the weighted average. The temperature is relative
// to the spread of the batch's energies (lambda = temperature * (mean E - min E)), so one setting
// works whatever the scale of the latent distances. Non-finite energies get weight zero.
import type { Rng } from '../../sim/rng.ts';
import type { CostFn, IterationEnergy } from './types.ts';
import { candidate, clipInPlace, halfRange, rankFinite, sampleGaussianBatch, type FlatBounds } from './sampling.ts';
import { validateSearch, type OptimizeResult } from './cem.ts';

export interface MppiOptions {
  samples: number;
  iterations: number;
  horizon: number;
  /** Relative temperature (see above); smaller is greedier. */
  temperature: number;
  /** Sampling standard deviation, fraction of each component's half-range; shrinks each iteration. */
  initStd: number;
  minStd: number;
  /** Lag-one correlation of the sampling noise over the horizon (0 = white noise). */
  correlation?: number;
  /** How many of the best candidates to report as elites (display and energy curve only). */
  elites: number;
}

export const MPPI_DEFAULTS: MppiOptions = {
  samples: 300, iterations: 3, horizon: 5, temperature: 0.1, initStd: 0.6, minStd: 0.05, elites: 30,
};

export function mppiOptimize(cost: CostFn, init: Float32Array, bounds: FlatBounds, opts: MppiOptions, rng: Rng): OptimizeResult {
  validateSearch(opts);
  if (!(opts.temperature > 0)) throw new Error(`MPPI temperature must be > 0, got ${opts.temperature}`);
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
      continue;
    }
    const eMin = energy[ranked[0]];
    let eMean = 0;
    for (const i of ranked) eMean += energy[i];
    eMean /= ranked.length;
    const lambda = opts.temperature * (eMean - eMin) + 1e-12;
    const w = new Float64Array(ranked.length);
    let wSum = 0;
    ranked.forEach((i, r) => { w[r] = Math.exp(-(energy[i] - eMin) / lambda); wSum += w[r]; });

    const next = new Float64Array(len);
    ranked.forEach((i, r) => {
      const base = i * len;
      for (let j = 0; j < len; j++) next[j] += (w[r] / wSum) * batch[base + j];
    });
    const shrink = Math.pow(0.7, it + 1);
    for (let j = 0; j < len; j++) {
      mean[j] = next[j];
      std[j] = Math.max(opts.initStd * half[j % 3] * shrink, opts.minStd * half[j % 3]);
    }

    const top = ranked.slice(0, Math.min(opts.elites, ranked.length));
    elites = top.map((i) => candidate(batch, i, len));
    eliteEnergies = top.map((i) => energy[i]);
    energyPerIteration.push({ best: eMin, eliteMean: eliteEnergies.reduce((s, e) => s + e, 0) / top.length });
    if (eMin < bestEnergy) {
      bestEnergy = eMin;
      best = Float32Array.from(elites[0]);
    }
  }
  // MPPI executes its weighted mean (smoother than the single best sample). Its energy is the
  // best sample's: the mean itself is scored as candidate 0 of the next call (warm start).
  clipInPlace(mean, bounds);
  return { best: Number.isFinite(bestEnergy) ? mean : best, bestEnergy, elites, eliteEnergies, energyPerIteration, discarded };
}

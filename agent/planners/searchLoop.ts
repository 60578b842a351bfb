// The loop CEM and MPPI share: sample candidates around a Gaussian, score them in one batch, rank
// the finite ones, track elites and the best sequence seen; only how the Gaussian is refitted
// differs between the two. Non-finite energies never rank, so a NaN cannot reach the
// distribution, the elites or the chosen plan.
import type { Rng } from '../../sim/rng.ts';
import type { CostFn, IterationEnergy } from './types.ts';
import { candidate, clipInPlace, fillHeldLattice, halfRange, rankFinite, sampleGaussianBatch, type FlatBounds } from './sampling.ts';

export interface SearchOptions {
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
   * Spread of the push height's samples as a multiple of initStd (absent: 1). Tasks whose pushes
   * belong at one height set it low (TaskPlannerDefaults.heightStd): see initialStd.
   */
  heightStd?: number;
  /**
   * Speeds (m/s) of held pushes that replace the last samples of the first iteration, each in
   * LATTICE_DIRECTIONS directions (sampling.fillHeldLattice). Absent or empty: none.
   */
  lattice?: readonly number[];
}

/** Index of the height in an action (vx, vz, height). */
const HEIGHT = 2;
/** The height's spread when neither the task nor the flags set one: as wide as the velocities'. */
const DEFAULT_HEIGHT_STD = 1;

/**
 * The starting spread of each component, as a fraction of its half-range times initStd; the
 * height's is scaled by heightStd. A latent energy that barely sees the pusher's height leaves
 * sampled heights unselected, so the executed height drifts by the sampling spread (7 cm at
 * initStd 0.6) from one replan to the next, and a slide push that drifts up toward the tipping
 * height topples the bottle.
 */
export function initialStd(opts: Pick<SearchOptions, 'initStd' | 'heightStd'>, k: number): number {
  return opts.initStd * spreadScale(opts, k);
}

/**
 * The floor under each component's refitted spread (fraction of its half-range): minStd, the
 * height's scaled by heightStd like its starting spread. An unscaled floor kept the height
 * sampled at 6 mm per step however narrowly the task asked, and a pusher that moves up or down
 * by a few mm while pressing on a fragile bottle bursts it (such height jitter caused 15 of 16
 * of fragile's bursts).
 */
export function floorStd(opts: Pick<SearchOptions, 'minStd' | 'heightStd'>, k: number): number {
  return opts.minStd * spreadScale(opts, k);
}

function spreadScale(opts: Pick<SearchOptions, 'heightStd'>, k: number): number {
  return k === HEIGHT ? opts.heightStd ?? DEFAULT_HEIGHT_STD : 1;
}

export interface OptimizeResult {
  /** The sequence to execute. */
  best: Float32Array;
  bestEnergy: number;
  elites: Float32Array[];
  eliteEnergies: number[];
  energyPerIteration: IterationEnergy[];
  discarded: number;
}

/** What a refit step sees: this iteration's batch and its finite candidates, best first. */
export interface RefitContext {
  iteration: number;
  batch: Float32Array;
  energy: Float64Array;
  ranked: number[];
  elites: Float32Array[];
  mean: Float32Array;
  std: Float32Array;
  half: Float32Array;
}

export interface SearchState extends OptimizeResult {
  /** The sampling mean after the last refit. */
  mean: Float32Array;
}

export function validateSearch(o: { samples: number; elites: number; iterations: number; horizon: number }): void {
  if (!(o.samples >= 2 && o.elites >= 1 && o.elites <= o.samples && o.iterations >= 1 && o.horizon >= 1)) {
    throw new Error(`invalid search settings: samples ${o.samples}, elites ${o.elites}, iterations ${o.iterations}, horizon ${o.horizon}`);
  }
}

export function sampleSearch(cost: CostFn, init: Float32Array, bounds: FlatBounds, opts: SearchOptions, rng: Rng,
  refit: (ctx: RefitContext) => void): SearchState {
  validateSearch(opts);
  const len = init.length;
  const half = halfRange(bounds);
  const mean = clipInPlace(Float32Array.from(init), bounds);
  const std = new Float32Array(len).map((_, j) => initialStd(opts, j % 3) * half[j % 3]);
  const batch = new Float32Array(opts.samples * len);
  let best = Float32Array.from(mean);
  let bestEnergy = Number.POSITIVE_INFINITY;
  let elites: Float32Array[] = [];
  let eliteEnergies: number[] = [];
  const energyPerIteration: IterationEnergy[] = [];
  let discarded = 0;

  for (let it = 0; it < opts.iterations; it++) {
    sampleGaussianBatch(rng, mean, std, opts.samples, bounds, batch, opts.correlation ?? 0);
    if (it === 0 && opts.lattice && opts.lattice.length > 0) fillHeldLattice(batch, opts.samples, mean, opts.lattice, bounds);
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
    refit({ iteration: it, batch, energy, ranked, elites, mean, std, half });
  }
  return { mean, best, bestEnergy, elites, eliteEnergies, energyPerIteration, discarded };
}

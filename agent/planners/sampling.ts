// Array helpers shared by the sampling-based optimizers. Sequences are flat Float32Arrays of
// horizon * 3 values; batches are candidate-major (n * horizon * 3). Plain JS arrays instead of
// tensors: the sampling is tiny next to the model calls, and the seeded Rng keeps it reproducible.
import type { ActionBounds } from '../../sim/types.ts';
import type { Rng } from '../../sim/rng.ts';
import { ACTION_DIM } from './types.ts';

export interface FlatBounds {
  low: Float32Array;
  high: Float32Array;
}

/**
 * The bounds as float32 values that lie inside the true (float64) bounds: Math.fround(0.2) is
 * slightly above 0.2, and an action stored in a Float32Array must never be "out of bounds" for an
 * environment that compares in float64 (it would clip and flag it).
 */
export function flatBounds(bounds: ActionBounds): FlatBounds {
  const low = new Float32Array(ACTION_DIM);
  const high = new Float32Array(ACTION_DIM);
  for (let k = 0; k < ACTION_DIM; k++) {
    const lo = bounds.low[k];
    const hi = bounds.high[k];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi >= lo)) {
      throw new Error(`invalid action bounds on component ${k}: [${lo}, ${hi}]`);
    }
    low[k] = float32Toward(lo, 1);
    high[k] = float32Toward(hi, -1);
    if (high[k] < low[k]) high[k] = low[k] = Math.fround(lo);
  }
  return { low, high };
}

/** The float32 nearest to v that is not beyond it in direction -dir (dir 1: >= v, -1: <= v). */
function float32Toward(v: number, dir: 1 | -1): number {
  const f = Math.fround(v);
  if (f === v || (dir === 1 ? f > v : f < v)) return f;
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, f);
  const bits = buf.getInt32(0);
  // Stepping the integer representation moves to the adjacent float32 (away from or toward zero).
  const away = (dir === 1) === (f > 0);
  buf.setInt32(0, f === 0 ? 1 : away ? bits + 1 : bits - 1);
  const g = buf.getFloat32(0);
  return f === 0 ? dir * g : g;
}

/** Half the range of each action component: the natural unit for sampling spreads and penalties. */
export function halfRange(b: FlatBounds): Float32Array {
  return b.low.map((lo, k) => (b.high[k] - lo) / 2);
}

/** A sequence that holds the centre of the bounds at every step. */
export function centreSequence(b: FlatBounds, horizon: number): Float32Array {
  const out = new Float32Array(horizon * ACTION_DIM);
  for (let t = 0; t < horizon; t++) {
    for (let k = 0; k < ACTION_DIM; k++) out[t * ACTION_DIM + k] = (b.low[k] + b.high[k]) / 2;
  }
  return out;
}

/**
 * The prior of a fresh plan: stand still at the pusher's current height (proprio y), which is
 * where a plan that knows nothing yet should start, rather than the middle of the height range.
 */
export function holdSequence(b: FlatBounds, horizon: number, height: number): Float32Array {
  const out = centreSequence(b, horizon);
  const h = Number.isFinite(height) ? Math.min(b.high[2], Math.max(b.low[2], height)) : out[2];
  for (let t = 0; t < horizon; t++) {
    out[t * ACTION_DIM] = Math.min(b.high[0], Math.max(b.low[0], 0));
    out[t * ACTION_DIM + 1] = Math.min(b.high[1], Math.max(b.low[1], 0));
    out[t * ACTION_DIM + 2] = h;
  }
  return out;
}

/** Clip every action of a flat sequence or batch into the bounds, in place. NaN becomes the centre. */
export function clipInPlace(values: Float32Array, b: FlatBounds): Float32Array {
  for (let i = 0; i < values.length; i++) {
    const k = i % ACTION_DIM;
    const v = values[i];
    if (Number.isNaN(v)) values[i] = (b.low[k] + b.high[k]) / 2;
    else if (v < b.low[k]) values[i] = b.low[k];
    else if (v > b.high[k]) values[i] = b.high[k];
  }
  return values;
}

/**
 * Warm start: drop the first `by` actions of the previous plan and repeat its last action to fill
 * the horizon (which may differ from the previous plan's).
 */
export function shiftSequence(prev: Float32Array, by: number, horizon: number): Float32Array {
  const prevSteps = prev.length / ACTION_DIM;
  const out = new Float32Array(horizon * ACTION_DIM);
  for (let t = 0; t < horizon; t++) {
    const src = Math.min(t + by, prevSteps - 1);
    for (let k = 0; k < ACTION_DIM; k++) out[t * ACTION_DIM + k] = prev[src * ACTION_DIM + k];
  }
  return out;
}

/**
 * Fill `out` with n candidates ~ mean + std * noise, clipped to the bounds. The noise of each
 * action component is AR(1) over the horizon with lag-one correlation `correlation` (unit
 * variance at every step): pushes that persist for several steps are sampled far more often
 * than with white noise, which is what moving an object needs (the idea of iCEM's colored noise).
 * Candidate 0 is the mean itself, so an iteration can never lose its current best guess to noise.
 */
export function sampleGaussianBatch(rng: Rng, mean: Float32Array, std: Float32Array, n: number,
  b: FlatBounds, out: Float32Array, correlation = 0): void {
  const len = mean.length;
  const rho = Math.min(0.99, Math.max(0, correlation));
  const fresh = Math.sqrt(1 - rho * rho);
  const prev = new Float64Array(ACTION_DIM);
  out.set(mean, 0);
  for (let i = 1; i < n; i++) {
    const base = i * len;
    for (let j = 0; j < len; j++) {
      const k = j % ACTION_DIM;
      const e = j < ACTION_DIM ? rng.normal() : rho * prev[k] + fresh * rng.normal();
      prev[k] = e;
      out[base + j] = mean[j] + std[j] * e;
    }
  }
  clipInPlace(out.subarray(0, n * len), b);
}

export function uniformSequence(rng: Rng, b: FlatBounds, horizon: number): Float32Array {
  const out = new Float32Array(horizon * ACTION_DIM);
  for (let i = 0; i < out.length; i++) {
    const k = i % ACTION_DIM;
    out[i] = rng.uniform(b.low[k], b.high[k]);
  }
  return out;
}

/** Indices of the finite energies, lowest first (ties broken by index, so the order is stable). */
export function rankFinite(energies: Float64Array): number[] {
  const idx: number[] = [];
  for (let i = 0; i < energies.length; i++) if (Number.isFinite(energies[i])) idx.push(i);
  idx.sort((a, c) => energies[a] - energies[c] || a - c);
  return idx;
}

export function candidate(batch: Float32Array, i: number, len: number): Float32Array {
  return batch.slice(i * len, (i + 1) * len);
}

/**
 * Mean squared action "effort" per candidate: velocity components in units of their half-range.
 * Height is a posture, not an effort, so it is not penalized.
 */
export function effortPerCandidate(batch: Float32Array, n: number, horizon: number, b: FlatBounds): Float64Array {
  const half = halfRange(b);
  const out = new Float64Array(n);
  const len = horizon * ACTION_DIM;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < horizon; t++) {
      for (let k = 0; k < 2; k++) {
        const centre = (b.low[k] + b.high[k]) / 2;
        const u = half[k] > 0 ? (batch[i * len + t * ACTION_DIM + k] - centre) / half[k] : 0;
        s += u * u;
      }
    }
    out[i] = s / (horizon * 2);
  }
  return out;
}

/**
 * Per candidate: the mean squared change of the pusher velocity (vx, vz) from one step to the
 * next, in half-ranges, the first step measured from `previous` (the action executed last; absent:
 * at rest). The velocity is held for a whole step, so a change is a jolt at the step boundary; a
 * kinematic pusher in contact passes it to the object at once.
 */
export function ratePerCandidate(batch: Float32Array, n: number, horizon: number, b: FlatBounds, previous?: Float32Array): Float64Array {
  const half = halfRange(b);
  const out = new Float64Array(n);
  const len = horizon * ACTION_DIM;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < 2; k++) {
      if (!(half[k] > 0)) continue;
      let before = previous ? previous[k] : 0;
      for (let t = 0; t < horizon; t++) {
        const v = batch[i * len + t * ACTION_DIM + k];
        s += ((v - before) / half[k]) ** 2;
        before = v;
      }
    }
    out[i] = s / (horizon * 2);
  }
  return out;
}

/** How many directions, evenly spaced over the full circle, a held-push lattice has per speed. */
export const LATTICE_DIRECTIONS = 24;

/** How many candidates a held-push lattice with `speeds` fills. */
export function latticeSize(speeds: readonly number[]): number {
  return speeds.length * LATTICE_DIRECTIONS;
}

/**
 * Overwrite the last latticeSize(speeds) candidates of a batch of n with held pushes: one velocity
 * of each speed and direction for the whole horizon, at the heights of `mean`, clipped to the
 * bounds. A push that must be slow and straight for many steps is a narrow corridor that Gaussian
 * samples around "stand still" almost never hit (fragile: docs/design-decisions.md).
 * Candidate 0 (the mean) is never overwritten.
 */
export function fillHeldLattice(batch: Float32Array, n: number, mean: Float32Array, speeds: readonly number[], b: FlatBounds): void {
  const len = mean.length;
  const horizon = len / ACTION_DIM;
  let i = n - 1;
  for (const speed of speeds) {
    for (let d = 0; d < LATTICE_DIRECTIONS && i > 0; d++, i--) {
      const angle = (2 * Math.PI * d) / LATTICE_DIRECTIONS;
      const vx = speed * Math.cos(angle), vz = speed * Math.sin(angle);
      for (let t = 0; t < horizon; t++) {
        const j = i * len + t * ACTION_DIM;
        batch[j] = vx;
        batch[j + 1] = vz;
        batch[j + 2] = mean[t * ACTION_DIM + 2];
      }
    }
  }
  // Only the lattice's rows: the Gaussian rows before them were clipped when sampled.
  clipInPlace(batch.subarray((i + 1) * len, n * len), b);
}

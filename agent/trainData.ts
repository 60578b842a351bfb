// Training batches from recorded episodes: which windows exist, train/validation split by
// episode, input normalization (stored in the checkpoint so encode() sees the same scaling),
// and time-major batch arrays so the encoder runs once over all frames of a batch.
import type { ActionBounds, EnvSpec, EpisodeData } from '../sim/types.ts';
import { Rng } from '../sim/rng.ts';
import { UserError } from '../sim/errors.ts';

export interface Normalization {
  /** Per-pixel mean depth and one overall std: the encoder sees (depth - mean) / std, so the
   * bottle and pusher stand out from the static table instead of riding on a constant ~0.8. */
  depthMean: number[];
  depthStd: number;
  proprioMean: number[];
  proprioStd: number[];
  /** Spread of proprio's change over one step (two-frame encoders). Absent in older checkpoints. */
  proprioDeltaMean?: number[];
  proprioDeltaStd?: number[];
  stateMean: number[];
  stateStd: number[];
  actionLow: number[];
  actionHigh: number[];
}

export interface WindowRef { episode: number; start: number }

/** Time-major batch: row t*B + b is frame t of window b (with `frames` 2, plus the frame before it). */
export interface Batch {
  size: number;
  k: number;
  /** (k+1)*B x frames*H*W normalized encoder input (current frame first), or null for the state observation. */
  depth: Float32Array | null;
  /** The same frames as recorded (0..1), only when asked for (the generative model's targets). */
  depthRaw: Float32Array | null;
  /** (k+1)*B x vecDim */
  vec: Float32Array;
  /** k*B x 3, normalized to [-1, 1] */
  actions: Float32Array;
  /** (k+1)*B x S, raw privileged state (for probes and metrics only) */
  state: Float32Array;
}

function meanStd(chunks: Float32Array[], dim: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(dim);
  const sq = new Float64Array(dim);
  let n = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += dim) {
      for (let j = 0; j < dim; j++) { sum[j] += c[i + j]; sq[j] += c[i + j] * c[i + j]; }
      n++;
    }
  }
  const mean = Array.from(sum, (s) => s / Math.max(n, 1));
  // A floor keeps constant columns (e.g. the pusher height in a 2-D task) from blowing up.
  const std = Array.from(sq, (s, j) => Math.max(Math.sqrt(Math.max(s / Math.max(n, 1) - mean[j] * mean[j], 0)), 1e-3));
  return { mean, std };
}

export function computeNormalization(episodes: EpisodeData[], spec: EnvSpec): Normalization {
  const p = meanStd(episodes.map((e) => e.proprio), 3);
  const d = meanStd(episodes.map((e) => proprioDeltas(e.proprio)), 3);
  const s = meanStd(episodes.map((e) => e.state), spec.stateLabels.length);
  const hw = spec.obsSize.width * spec.obsSize.height;
  const depthMean = new Float64Array(hw);
  let frames = 0;
  for (const e of episodes) {
    for (let f = 0; f < e.depth.length; f += hw) { for (let j = 0; j < hw; j++) depthMean[j] += e.depth[f + j]; frames++; }
  }
  for (let j = 0; j < hw; j++) depthMean[j] /= Math.max(frames, 1);
  // Scale by the spread of all depth values (not of the per-pixel deviations, which is tiny
  // where most pixels never change and would blow up the bottle's pixels on new data).
  let sum = 0, sq = 0;
  for (const e of episodes) for (let i = 0; i < e.depth.length; i++) { sum += e.depth[i]; sq += e.depth[i] * e.depth[i]; }
  const count = Math.max(frames * hw, 1);
  const depthStd = Math.max(Math.sqrt(Math.max(sq / count - (sum / count) ** 2, 0)), 0.05);
  return {
    depthMean: Array.from(depthMean, (v) => Math.fround(v)), depthStd,
    proprioMean: p.mean, proprioStd: p.std, proprioDeltaMean: d.mean, proprioDeltaStd: d.std, stateMean: s.mean, stateStd: s.std,
    actionLow: [...spec.actionBounds.low], actionHigh: [...spec.actionBounds.high],
  };
}

/** proprio[t] - proprio[t-1] for every frame of an episode (0 for the first: it starts at rest). */
function proprioDeltas(proprio: Float32Array): Float32Array {
  const out = new Float32Array(proprio.length);
  for (let i = 3; i < proprio.length; i++) out[i] = proprio[i] - proprio[i - 3];
  return out;
}

/** The action normalization a_norm = a * scale + offset, per component. */
export interface ActionAffine { scale: readonly number[]; offset: readonly number[] }

/**
 * The action normalization the networks see, as one affine map per component:
 * a_norm = a * scale + offset takes the task's bounds to -1..1; a fixed component (low = high)
 * maps to 0. Training (normalizeAction) and planning (loadedModel, foldedMlp) both use it.
 */
export function actionAffine(norm: Pick<Normalization, 'actionLow' | 'actionHigh'>): ActionAffine {
  const scale = norm.actionLow.map((low, j) => { const span = norm.actionHigh[j] - low; return span > 0 ? 2 / span : 0; });
  return { scale, offset: norm.actionLow.map((low, j) => (scale[j] > 0 ? -low * scale[j] - 1 : 0)) };
}

/** Write one normalized action into `out` at `offset`; `affine` is actionAffine(norm), computed once by the caller (this runs per action of every batch). */
export function normalizeAction(raw: ArrayLike<number>, out: Float32Array, offset: number, affine: ActionAffine): void {
  for (let j = 0; j < 3; j++) out[offset + j] = raw[j] * affine.scale[j] + affine.offset[j];
}

/** Normalize one depth image into `out` at `offset`. */
export function writeDepth(depth: ArrayLike<number>, norm: Pick<Normalization, 'depthMean' | 'depthStd'>, out: Float32Array, offset: number): void {
  const inv = 1 / norm.depthStd;
  for (let j = 0; j < norm.depthMean.length; j++) out[offset + j] = (depth[j] - norm.depthMean[j]) * inv;
}

export function boundsOf(norm: Normalization): ActionBounds {
  return { low: norm.actionLow as ActionBounds['low'], high: norm.actionHigh as ActionBounds['high'] };
}

/** Width of the encoder's vector input: proprio (and its last change with two frames), or state + proprio. */
export function vecDimFor(obs: 'depth' | 'state', stateDim: number, frames = 1): number {
  return obs === 'depth' ? 3 * Math.min(frames, 2) : stateDim + 3;
}

/**
 * Write the normalized vector input of one frame (proprio, plus state for the state variant).
 * With `prevProprio` (two-frame encoders) the change since the previous frame follows proprio.
 */
export function writeVec(obs: 'depth' | 'state', proprio: ArrayLike<number>, state: ArrayLike<number> | null,
  norm: Normalization, out: Float32Array, offset: number, prevProprio?: ArrayLike<number>): void {
  let o = offset;
  if (obs === 'state') {
    if (!state) throw new Error('state observation needs the state vector');
    for (let j = 0; j < norm.stateMean.length; j++) out[o++] = (state[j] - norm.stateMean[j]) / norm.stateStd[j];
  }
  for (let j = 0; j < 3; j++) out[o++] = (proprio[j] - norm.proprioMean[j]) / norm.proprioStd[j];
  if (prevProprio) {
    const { proprioDeltaMean: dm, proprioDeltaStd: ds } = norm;
    if (!dm || !ds) throw new Error('a two-frame encoder needs proprioDeltaMean/Std in its normalization');
    for (let j = 0; j < 3; j++) out[o++] = (proprio[j] - prevProprio[j] - dm[j]) / ds[j];
  }
}

export class EpisodeSet {
  readonly hw: number;
  readonly stateDim: number;
  constructor(readonly episodes: EpisodeData[], readonly spec: EnvSpec) {
    this.hw = spec.obsSize.width * spec.obsSize.height;
    this.stateDim = spec.stateLabels.length;
    episodes.forEach((e, i) => {
      const T = e.length;
      if (e.actions.length !== T * 3 || e.depth.length !== (T + 1) * this.hw || e.proprio.length !== (T + 1) * 3
        || e.state.length !== (T + 1) * this.stateDim) {
        throw new UserError(`episode ${i} has inconsistent array sizes (length ${T}, depth ${e.depth.length}, state ${e.state.length})`,
          'the dataset file is damaged or was written by a different version: collect it again');
      }
    });
  }

  /** All windows of k actions that fit inside an episode. */
  windows(episodeIds: number[], k: number): WindowRef[] {
    const out: WindowRef[] = [];
    for (const ep of episodeIds) {
      const T = this.episodes[ep].length;
      for (let s = 0; s + k <= T; s++) out.push({ episode: ep, start: s });
    }
    return out;
  }

  /** `frames` 2: every row also carries the frame before it (the episode's first frame repeats itself). */
  batch(refs: WindowRef[], k: number, obs: 'depth' | 'state', norm: Normalization, withRaw = false, frames = 1): Batch {
    const B = refs.length;
    const F = obs === 'depth' ? frames : 1;
    const vecDim = vecDimFor(obs, this.stateDim, F);
    const S = this.stateDim;
    const hw = this.hw;
    const depth = obs === 'depth' ? new Float32Array((k + 1) * B * F * hw) : null;
    const depthRaw = withRaw ? new Float32Array((k + 1) * B * this.hw) : null;
    const vec = new Float32Array((k + 1) * B * vecDim);
    const actions = new Float32Array(k * B * 3);
    const state = new Float32Array((k + 1) * B * S);
    const affine = actionAffine(norm);
    refs.forEach((r, b) => {
      const e = this.episodes[r.episode];
      for (let t = 0; t <= k; t++) {
        const f = r.start + t;
        const row = t * B + b;
        const prev = Math.max(f - 1, 0);
        const img = e.depth.subarray(f * hw, (f + 1) * hw);
        if (depth) {
          writeDepth(img, norm, depth, row * F * hw);
          if (F > 1) writeDepth(e.depth.subarray(prev * hw, (prev + 1) * hw), norm, depth, (row * F + 1) * hw);
        }
        if (depthRaw) depthRaw.set(img, row * hw);
        const st = e.state.subarray(f * S, (f + 1) * S);
        state.set(st, row * S);
        writeVec(obs, e.proprio.subarray(f * 3, f * 3 + 3), st, norm, vec, row * vecDim, F > 1 ? e.proprio.subarray(prev * 3, prev * 3 + 3) : undefined);
        if (t < k) normalizeAction(e.actions.subarray(f * 3, f * 3 + 3), actions, row * 3, affine);
      }
    });
    return { size: B, k, depth, depthRaw, vec, actions, state };
  }
}

/** Hold out whole episodes for validation (deterministic from the seed). */
export function splitEpisodes(count: number, valFraction: number, seed: number): { train: number[]; val: number[] } {
  if (count < 2) throw new UserError(`the dataset has ${count} episode(s); training needs at least 2 (one is held out for validation)`,
    'collect more episodes, e.g. jepa-mpc collect --episodes 200');
  const ids = Array.from({ length: count }, (_, i) => i);
  const rng = new Rng(seed ^ 0x5eed);
  for (let i = count - 1; i > 0; i--) { const j = rng.int(0, i + 1); [ids[i], ids[j]] = [ids[j], ids[i]]; }
  const nVal = Math.min(count - 1, Math.max(1, Math.round(count * valFraction)));
  return { val: ids.slice(0, nVal).sort((a, b) => a - b), train: ids.slice(nVal).sort((a, b) => a - b) };
}

export function sampleWindows(pool: WindowRef[], size: number, rng: Rng): WindowRef[] {
  const out: WindowRef[] = [];
  for (let i = 0; i < size; i++) out.push(pool[rng.int(0, pool.length)]);
  return out;
}

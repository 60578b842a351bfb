// Validation on held-out episodes: multi-step latent prediction error against the
// copy-the-last-latent baseline, collapse metrics, probe R^2 (probes fitted on training
// episodes, scored on held-out ones) and the probe's read of the rolled-out latent
// (probePrediction.ts). Everything a training run logs about model quality.
import * as tf from '@tensorflow/tfjs';
import { CameraProjection } from '../sim/cameraGeometry.ts';
import { Rng } from '../sim/rng.ts';
import type { EnvSpec } from '../sim/types.ts';
import { collapseMetrics, type CollapseMetrics, type Matrix } from './metrics.ts';
import { applyEncoder, framesOf, sceneDimsOf } from './model/encoder.ts';
import type { ModelConfig, Networks } from './model/networks.ts';
import { applyPredictor } from './model/predictor.ts';
import { probePredictionError, type ProbePredictionError, type RolledLatents } from './probePrediction.ts';
import { fitProbe, probeR2, selectColumns, type FittedProbe, type ProbeSpec } from './probes.ts';
import type { EpisodeSet, Normalization, WindowRef } from './trainData.ts';

export interface ValidationResult {
  /** Horizon -> mean L2 error of the rolled-out latent, of copying z_0, and their ratio. */
  horizons: { h: number; pred: number; copy: number; ratio: number }[];
  collapse: CollapseMetrics;
  probeR2: Record<string, number>;
  probe: FittedProbe;
  /** Per horizon: the probe's bottle-position error read from the rolled-out latent, and its floor (absent without a bottle x/z probe). */
  probePrediction?: ProbePredictionError[];
}

const CHUNK = 512;

function leadingColumns(m: Matrix, cols: number): Matrix {
  if (cols >= m.cols) return m;
  const data = new Float32Array(m.rows * cols);
  for (let r = 0; r < m.rows; r++) data.set(m.data.subarray(r * m.cols, r * m.cols + cols), r * cols);
  return { rows: m.rows, cols, data };
}

/** Encode frames of a batch (rows of vec/depth) in chunks; returns a tensor [rows, D]. */
function encodeRows(nets: Networks, cfg: ModelConfig, depth: Float32Array | null, vec: Float32Array, rows: number): tf.Tensor2D {
  const vecDim = vec.length / rows;
  const hw = depth ? depth.length / rows : 0;
  const parts: tf.Tensor2D[] = [];
  for (let r = 0; r < rows; r += CHUNK) {
    const n = Math.min(CHUNK, rows - r);
    parts.push(tf.tidy(() => applyEncoder(nets.encoder, cfg.obs,
      depth ? tf.tensor2d(depth.subarray(r * hw, (r + n) * hw), [n, hw]) : null,
      tf.tensor2d(vec.subarray(r * vecDim, (r + n) * vecDim), [n, vecDim]))));
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

export function encodeFrames(nets: Networks, cfg: ModelConfig, set: EpisodeSet, frames: WindowRef[], norm: Normalization): { z: Matrix & { data: Float32Array }; state: Float32Array } {
  const b = set.batch(frames, 0, cfg.obs, norm, false, framesOf(cfg.encoder));
  const zt = encodeRows(nets, cfg, b.depth, b.vec, frames.length);
  const data = zt.dataSync() as Float32Array;
  zt.dispose();
  return { z: { rows: frames.length, cols: cfg.encoder.latentDim, data }, state: b.state };
}

/** A test on one frame's state row (`offset` into an episode's state). */
export type FrameTest = (state: ArrayLike<number>, offset: number) => boolean;

/** The object still exists: not after a burst (the state keeps its last pose, the image shows fragments). */
export function objectExists(spec: EnvSpec): FrameTest {
  const burst = spec.stateLabels.indexOf('burst');
  return (st, o) => !(burst >= 0 && st[o + burst] > 0.5);
}

/**
 * The frame shows the object: it exists, and its centre (state x, y, z) is inside the camera's
 * view, not pushed off the part of the table the camera sees, where no pixel tells where it is.
 * Frames that fail are no probe target.
 */
export function showsObject(spec: EnvSpec): FrameTest {
  const exists = objectExists(spec);
  const [xi, yi, zi] = ['x', 'y', 'z'].map((l) => spec.stateLabels.indexOf(l));
  if (xi < 0 || yi < 0 || zi < 0) return exists;
  const view = new CameraProjection(spec.camera);
  return (st, o) => exists(st, o) && view.sees(st[o + xi], st[o + yi], st[o + zi]);
}

/** Fewer held-out frames in view than this and a task's x, y, z are taken to place nothing the camera sees. */
const MIN_PROBE_FRAMES = 50;

function framesWhere(set: EpisodeSet, episodes: number[], keep: FrameTest): WindowRef[] {
  const S = set.stateDim;
  return set.windows(episodes, 0).filter((r) => keep(set.episodes[r.episode].state, r.start * S));
}

function sampleFrames(all: WindowRef[], max: number, seed: number): WindowRef[] {
  if (all.length <= max) return all;
  const rng = new Rng(seed);
  return Array.from({ length: max }, () => all[rng.int(0, all.length)]);
}

/**
 * The probe's target frames among the held-out episodes, and the test that picked them: frames
 * that show the object, or, for a task whose x, y, z never land in view, those where it exists.
 */
export function probeTargets(set: EpisodeSet, val: number[]): { test: FrameTest; frames: WindowRef[] } {
  const shows = showsObject(set.spec);
  const frames = framesWhere(set, val, shows);
  if (frames.length >= MIN_PROBE_FRAMES) return { test: shows, frames };
  const exists = objectExists(set.spec);
  return { test: exists, frames: framesWhere(set, val, exists) };
}

export function validate(nets: Networks, cfg: ModelConfig, set: EpisodeSet, split: { train: number[]; val: number[] },
  norm: Normalization, probeSpec: ProbeSpec, seed: number): ValidationResult {
  // Episodes that end early (a burst, a fall) cannot give 8-step windows; the longest horizon
  // is scored on the episodes long enough for it.
  const maxLen = Math.max(...split.val.map((e) => set.episodes[e].length));
  const K = Math.max(1, Math.min(8, maxLen));
  const hs = [1, 4, 8].filter((h) => h <= K);
  let refs = set.windows(split.val, K);
  if (refs.length > 256) { const stride = refs.length / 256; refs = Array.from({ length: 256 }, (_, i) => refs[Math.floor(i * stride)]); }
  const B = refs.length;
  const batch = set.batch(refs, K, cfg.obs, norm, false, framesOf(cfg.encoder));
  const rolled: RolledLatents[] = [];
  const horizons = tf.tidy(() => {
    const z = encodeRows(nets, cfg, batch.depth, batch.vec, (K + 1) * B);
    const acts = tf.tensor2d(batch.actions, [K * B, 3]);
    const z0 = tf.slice(z, [0, 0], [B, -1]);
    let zr = z0 as tf.Tensor2D;
    const out: { h: number; pred: number; copy: number; ratio: number }[] = [];
    for (let h = 1; h <= K; h++) {
      zr = applyPredictor(nets.predictor, zr, tf.slice(acts, [(h - 1) * B, 0], [B, -1]));
      if (!hs.includes(h)) continue;
      const truth = tf.slice(z, [h * B, 0], [B, -1]);
      rolled.push({ h, predicted: Float32Array.from(zr.dataSync()), encoded: Float32Array.from(truth.dataSync()) });
      const pred = tf.mean(tf.norm(tf.sub(zr, truth), 'euclidean', 1)).dataSync()[0];
      const copy = tf.mean(tf.norm(tf.sub(z0, truth), 'euclidean', 1)).dataSync()[0];
      out.push({ h, pred, copy, ratio: copy > 1e-12 ? pred / copy : Number.NaN });
    }
    return out;
  });
  // Collapse is judged on every frame where the object exists, and on the learned scene dims
  // only: the body dims (normalized proprio) never collapse and would hide a collapsed scene part.
  const collapseFrames = encodeFrames(nets, cfg, set, sampleFrames(framesWhere(set, split.val, objectExists(set.spec)), 2000, seed + 1), norm);
  const collapse = collapseMetrics(leadingColumns(collapseFrames.z, sceneDimsOf(cfg.encoder)));
  const targets = probeTargets(set, split.val);
  const valFrames = encodeFrames(nets, cfg, set, sampleFrames(targets.frames, 2000, seed + 1), norm);
  const trainFrames = encodeFrames(nets, cfg, set, sampleFrames(framesWhere(set, split.train, targets.test), 4000, seed + 2), norm);
  const probe = fitProbe(trainFrames.z, selectColumns(trainFrames.state, set.stateDim, probeSpec.columns));
  const r2 = probeR2(probe, valFrames.z, selectColumns(valFrames.state, set.stateDim, probeSpec.columns));
  const probePrediction = probePredictionError(probe, probeSpec, set.spec.stateLabels, cfg.encoder.latentDim, rolled, batch.state, B, targets.test);
  return { horizons, collapse, probeR2: Object.fromEntries(probeSpec.labels.map((l, i) => [l, r2[i]])), probe, ...(probePrediction ? { probePrediction } : {}) };
}

// The approach head: "where is the agent's body when the scene is on its way from here to that
// goal?" From the scene part of the latent now and the goal's, to the body part of the latent. It
// is learned in hindsight on frozen latents of the training episodes: every pair of frames (t,
// t + h) across which the scene moved says that the body at t was where one starts such a move.
// The model planners price the distance between each predicted body and the head's answer for the
// predicted scene at that step (agent/planners/energy.ts), so a pusher far from the object has a
// gradient to follow before any horizon reaches the object, and once it pushes, the answer moves
// with the object and keeps the pusher behind it.
//
// Why a head and not a longer search: with the pusher hidden from the camera the goal distance is
// flat until the pusher touches the object (the latent scene does not change), so from a start
// 10-40 cm away no horizon the planner can afford sees any progress; a 36-step held-action search
// and a learned time-to-go did not help (docs/design-decisions.md).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../sim/rng.ts';
import type { Matrix } from '../metrics.ts';

/** Frame offsets h of the hindsight pairs (t, t + h): pushes a few steps long to whole episodes. */
export const APPROACH_OFFSETS: readonly number[] = [2, 4, 8, 16, 32];

/**
 * A pair counts as "the scene moved" when its scene change is over this many times the median
 * one-step change: with the pusher out of view most steps change nothing (a median of 0, or the
 * encoder's jitter of a few thousandths), and a push changes the scene by tenths.
 */
export const APPROACH_MOTION_FACTOR = 4;

/** Mean |z_a - z_b| over the first `sceneDims` dims of rows a and b of z [*, latentDim]. */
export function sceneChange(z: ArrayLike<number>, latentDim: number, sceneDims: number, a: number, b: number): number {
  let s = 0;
  for (let k = 0; k < sceneDims; k++) s += Math.abs(z[a * latentDim + k] - z[b * latentDim + k]);
  return s / sceneDims;
}

/** Latents of one episode's frames: rows [frames, latentDim]. */
export interface EpisodeLatents { z: Float32Array; frames: number }

/** APPROACH_MOTION_FACTOR x the median one-step scene change over the episodes' frames. */
export function motionThreshold(episodes: EpisodeLatents[], latentDim: number, sceneDims: number): number {
  const changes: number[] = [];
  for (const e of episodes) for (let t = 1; t < e.frames; t++) changes.push(sceneChange(e.z, latentDim, sceneDims, t - 1, t));
  if (changes.length === 0) return 0;
  changes.sort((a, b) => a - b);
  return APPROACH_MOTION_FACTOR * changes[Math.floor(changes.length / 2)];
}

/** The pairs (t, g = t + h), h in APPROACH_OFFSETS, whose scene change is over `threshold`. */
export function approachPairs(e: EpisodeLatents, latentDim: number, sceneDims: number, threshold: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = 0; t < e.frames - 1; t++) {
    for (const h of APPROACH_OFFSETS) {
      const g = t + h;
      if (g >= e.frames) break;
      if (sceneChange(e.z, latentDim, sceneDims, t, g) > threshold) out.push([t, g]);
    }
  }
  return out;
}

/** MLP [scene, goal scene] (2 * sceneDims) -> hidden (relu) -> hidden (relu) -> bodyDims; seeded init. */
export function buildApproachHead(sceneDims: number, bodyDims: number, hidden: number, seed: number): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 131 + i });
  return tf.sequential({
    name: 'approach',
    layers: [
      tf.layers.dense({ inputShape: [2 * sceneDims], units: hidden, activation: 'relu', kernelInitializer: init(0), name: 'approach_h0' }),
      tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: init(1), name: 'approach_h1' }),
      tf.layers.dense({ units: bodyDims, kernelInitializer: init(2), name: 'approach_out' }),
    ],
  });
}

export interface ApproachFitOptions {
  hidden: number;
  /** Adam steps over minibatches. */
  steps: number;
  batch: number;
  lr: number;
  seed: number;
}

export const APPROACH_FIT_DEFAULTS: ApproachFitOptions = { hidden: 128, steps: 3000, batch: 256, lr: 1e-3, seed: 1 };

/** Fit the head on rows x [N, 2S] ([scene_t, scene_g]) -> y [N, B] (body_t), MSE. Caller disposes the model. */
export function trainApproachHead(x: Matrix, y: Matrix, opts: ApproachFitOptions): tf.LayersModel {
  const n = x.rows;
  if (n === 0 || y.rows !== n || x.cols % 2 !== 0) throw new Error(`trainApproachHead needs matching non-empty rows (x ${x.rows}x${x.cols}, y ${y.rows}x${y.cols})`);
  const model = buildApproachHead(x.cols / 2, y.cols, opts.hidden, opts.seed);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(opts.lr);
  const rng = new Rng(opts.seed ^ 0xa99c);
  const B = Math.min(opts.batch, n);
  const xb = new Float32Array(B * x.cols), yb = new Float32Array(B * y.cols);
  try {
    for (let step = 0; step < opts.steps; step++) {
      for (let b = 0; b < B; b++) {
        const i = B === n ? b : rng.int(0, n);
        xb.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), b * x.cols);
        yb.set(y.data.subarray(i * y.cols, (i + 1) * y.cols), b * y.cols);
      }
      const loss = optimizer.minimize(() => tf.mean(tf.square(tf.sub(model.apply(tf.tensor2d(xb, [B, x.cols])) as tf.Tensor2D, tf.tensor2d(yb, [B, y.cols])))) as tf.Scalar, true, vars);
      loss?.dispose();
    }
  } finally {
    optimizer.dispose();
  }
  return model;
}

/** Held-out R² of the head on rows x -> y: 1 - MSE / variance, both summed over the body dims. */
export function approachR2(model: tf.LayersModel, x: Matrix, y: Matrix): number {
  if (x.rows === 0) return Number.NaN;
  const [mse, variance] = tf.tidy(() => {
    const yt = tf.tensor2d(y.data as Float32Array, [y.rows, y.cols]);
    const p = model.apply(tf.tensor2d(x.data as Float32Array, [x.rows, x.cols])) as tf.Tensor2D;
    const err = tf.sum(tf.mean(tf.square(tf.sub(p, yt)), 0));
    const v = tf.sum(tf.moments(yt, 0).variance);
    return [err.dataSync()[0], v.dataSync()[0]];
  });
  return variance > 0 ? 1 - mse / variance : Number.NaN;
}

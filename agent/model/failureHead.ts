// The failure head: "does the episode FAIL at the next step?", from the latent z_t, the change of
// the scene the predictor expects for the action, P(z_t, a_t) - z_t, and the action a_t (normalized
// like the predictor's: bounds -> -1..1) to one logit. Dreamer's continue predictor, for failure
// only. It is learned from the dataset's termination flags and episode outcomes on frozen latents
// (never from privileged state), and the model planners add the probability of failing within
// their horizon to the energy (agent/planners/energy.ts).
//
// Why the predicted change: whether a push bursts the fragile bottle depends on whether the pusher
// meets it during this step, i.e. on the pusher-to-bottle distance to within a couple of
// centimetres, and the latent locates the bottle too coarsely for that (a head on [z, a] priced a
// 0.25 m/s move 7 cm short of the bottle like one in contact). The predictor, trained on every
// transition, already knows when an action makes the scene move. With its change as input, the
// fragile head's held-out AUC rose from 0.861 to 0.891, and fast pushes in contact read 32 %
// (true rate 30 %) instead of 6 %, while fast moves 9 cm or more away read 0.2 % instead of 0.8 %.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../sim/rng.ts';
import type { EpisodeData, OutcomeKind } from '../../sim/types.ts';
import type { Matrix } from '../metrics.ts';
import { TRAIN_DEFAULTS } from '../trainDefaults.ts';

/** Outcomes that count as failing: the task's own failure (e.g. a fall) and a burst. */
export const FAILURE_KINDS: readonly OutcomeKind[] = ['failure', 'burst'];

/**
 * What a head's first input holds, as config.json records it: the latent alone (checkpoints
 * before the predicted change was added), or the latent followed by the predicted change of its
 * scene dims.
 */
export type FailureInputs = 'latent+normalized action' | 'latent+predicted change+normalized action';
export const FAILURE_INPUTS_LATENT: FailureInputs = 'latent+normalized action';
export const FAILURE_INPUTS_CHANGE: FailureInputs = 'latent+predicted change+normalized action';

/** Width of the head's first input for a latent of `latentDim` dims, `sceneDims` of them scene. */
export function failureFeatureDim(inputs: FailureInputs, latentDim: number, sceneDims: number): number {
  return inputs === FAILURE_INPUTS_CHANGE ? latentDim + sceneDims : latentDim;
}

/**
 * The head's first input: z [N, D] (latent inputs), or [z, next[:, :S] - z[:, :S]] with next =
 * P(z, a), the predicted latent for the same rows. Caller disposes.
 */
export function failureFeatures(inputs: FailureInputs, z: tf.Tensor2D, next: tf.Tensor2D, sceneDims: number): tf.Tensor2D {
  if (inputs !== FAILURE_INPUTS_CHANGE) return tf.clone(z);
  return tf.tidy(() => {
    const change = tf.sub(tf.slice(next, [0, 0], [-1, sceneDims]), tf.slice(z, [0, 0], [-1, sceneDims]));
    return tf.concat([z, change], 1) as tf.Tensor2D;
  });
}

/**
 * Per transition t (z_t, a_t -> o_{t+1}) up to the episode's end: 1 iff it is the transition the
 * episode ended at, it terminated there (not truncated) and its outcome is a failure or a burst —
 * only a burst when the task's failures depend on the goal (tip: a fall the wrong way was the right
 * fall for another goal, and the head does not see the goal). Everything else is 0, including
 * success terminations and timeouts. The transitions of a tail (after the end) get no label at
 * all: the returned array stops at the end, since nothing is left there to fail.
 */
export function failureLabels(ep: Pick<EpisodeData, 'length' | 'terminations' | 'truncations' | 'outcome' | 'tail'>,
  failureDependsOnGoal = false): Uint8Array {
  const T = ep.length - (ep.tail ?? 0);
  const y = new Uint8Array(T);
  const kinds: readonly OutcomeKind[] = failureDependsOnGoal ? ['burst'] : FAILURE_KINDS;
  if (T > 0 && ep.terminations[T - 1] === 1 && ep.truncations[T - 1] !== 1 && kinds.includes(ep.outcome.kind)) {
    y[T - 1] = 1;
  }
  return y;
}

/** MLP [features, a] -> hidden (relu) -> 1 logit; deterministic init from the seed. */
export function buildFailureHead(featureDim: number, actionDim: number, hidden: number, seed: number, name = 'failure'): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 137 + i });
  const z = tf.input({ shape: [featureDim], name: `${name}_z` });
  const a = tf.input({ shape: [actionDim], name: `${name}_a` });
  const h0 = tf.layers.concatenate({ name: `${name}_in` }).apply([z, a]) as tf.SymbolicTensor;
  const h = tf.layers.dense({ units: hidden, activation: 'relu', kernelInitializer: init(0), name: `${name}_h0` }).apply(h0) as tf.SymbolicTensor;
  const logit = tf.layers.dense({ units: 1, kernelInitializer: init(1), name: `${name}_logit` }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: [z, a], outputs: logit, name });
}

export interface FailureFitOptions {
  hidden: number;
  /** Adam steps over minibatches. */
  steps: number;
  batch: number;
  lr: number;
  /** L2 penalty on the kernels (positives are few; keeps the head from memorizing them). */
  l2: number;
  seed: number;
}

export const FAILURE_FIT_DEFAULTS: FailureFitOptions = { hidden: 64, steps: TRAIN_DEFAULTS.headSteps, batch: 512, lr: 3e-3, l2: 1e-4, seed: 1 };

/** Numerically stable binary cross-entropy on logits, per row. */
function bceWithLogits(logits: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))) as tf.Tensor1D;
}

/**
 * Fit the head on frozen features z [N, F] (failureFeatures), normalized actions a [N * actionDim]
 * and labels y [N]. Class-weighted BCE: each class carries half of the loss, however rare the
 * positives are. The features are standardized for training and the standardization is then folded
 * into the first layer, so the returned model takes raw features. Caller disposes the model.
 */
export function trainFailureHead(z: Matrix, a: Float32Array, y: Uint8Array, opts: FailureFitOptions): tf.LayersModel {
  const n = z.rows, d = z.cols;
  const actionDim = a.length / Math.max(n, 1);
  const pos = y.reduce((s, v) => s + v, 0);
  if (n === 0 || pos === 0 || pos === n) throw new Error(`trainFailureHead needs both classes (got ${pos} positives of ${n})`);
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += z.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) std[j] += (z.data[i * d + j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) std[j] = Math.max(Math.sqrt(std[j] / n), 1e-6);
  const zs = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) zs[i * d + j] = (z.data[i * d + j] - mean[j]) / std[j];
  const wPos = n / (2 * pos), wNeg = n / (2 * (n - pos));

  const model = buildFailureHead(d, actionDim, opts.hidden, opts.seed);
  const kernels = model.trainableWeights.filter((w) => w.name.includes('kernel')).map((w) => w.read());
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(opts.lr);
  const rng = new Rng(opts.seed ^ 0xfa11);
  const B = Math.min(opts.batch, n);
  const zb = new Float32Array(B * d), ab = new Float32Array(B * actionDim), yb = new Float32Array(B), wb = new Float32Array(B);
  try {
    for (let step = 0; step < opts.steps; step++) {
      for (let b = 0; b < B; b++) {
        const i = B === n ? b : rng.int(0, n);
        zb.set(zs.subarray(i * d, (i + 1) * d), b * d);
        ab.set(a.subarray(i * actionDim, (i + 1) * actionDim), b * actionDim);
        yb[b] = y[i];
        wb[b] = y[i] ? wPos : wNeg;
      }
      const loss = optimizer.minimize(() => {
        const logits = tf.reshape(model.apply([tf.tensor2d(zb, [B, d]), tf.tensor2d(ab, [B, actionDim])]) as tf.Tensor, [-1]) as tf.Tensor1D;
        const data = tf.mean(tf.mul(bceWithLogits(logits, tf.tensor1d(yb)), tf.tensor1d(wb)));
        const reg = tf.mul(opts.l2, tf.addN(kernels.map((k) => tf.sum(tf.square(k)))));
        return tf.add(data, reg) as tf.Scalar;
      }, true, vars);
      loss?.dispose();
    }
  } finally {
    optimizer.dispose();
  }
  // Fold the standardization into the first layer: W'[j] = W[j] / std[j], b' = b - sum_j mean[j] / std[j] * W[j].
  const first = model.getLayer('failure_h0');
  const [W, bias] = first.getWeights();
  const w = W.dataSync() as Float32Array;
  const bv = Float64Array.from(bias.dataSync());
  const H = opts.hidden;
  const w2 = Float32Array.from(w);
  for (let j = 0; j < d; j++) {
    for (let h = 0; h < H; h++) {
      w2[j * H + h] = w[j * H + h] / std[j];
      bv[h] -= (mean[j] / std[j]) * w[j * H + h];
    }
  }
  const newW = tf.tensor2d(w2, W.shape as [number, number]);
  const newB = tf.tensor1d(Float32Array.from(bv));
  first.setWeights([newW, newB]);
  tf.dispose([newW, newB]);
  return model;
}

/** Add `delta` to the head's output logit (its last layer's bias). */
export function shiftLogit(model: tf.LayersModel, delta: number): void {
  const last = model.getLayer('failure_logit');
  const [W, b] = last.getWeights();
  const shifted = tf.add(b, delta);
  last.setWeights([W, shifted]);
  shifted.dispose();
}

/** Failure probabilities of rows (z [N, F] raw features, a [N * actionDim] normalized actions). */
export function failureProbabilities(model: tf.LayersModel, z: Matrix, a: Float32Array, chunk = 2048): Float64Array {
  const out = new Float64Array(z.rows);
  const actionDim = a.length / Math.max(z.rows, 1);
  for (let r = 0; r < z.rows; r += chunk) {
    const m = Math.min(chunk, z.rows - r);
    const p = tf.tidy(() => tf.sigmoid(model.apply([
      tf.tensor2d(z.data.subarray(r * z.cols, (r + m) * z.cols) as Float32Array, [m, z.cols]),
      tf.tensor2d(a.subarray(r * actionDim, (r + m) * actionDim), [m, actionDim]),
    ]) as tf.Tensor));
    out.set(p.dataSync(), r);
    p.dispose();
  }
  return out;
}

/** Area under the ROC curve (Mann-Whitney, ties count half); NaN when a class is missing. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((p, q) => scores[p] - scores[q]);
  let pos = 0, rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tie group, 1-based
    for (let k = i; k <= j; k++) if (labels[idx[k]]) { pos++; rankSum += rank; }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Mean of the true-positive and true-negative rates at a probability threshold. */
export function balancedAccuracy(p: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): number {
  let tp = 0, pos = 0, tn = 0, neg = 0;
  for (let i = 0; i < p.length; i++) {
    if (labels[i]) { pos++; if (p[i] >= threshold) tp++; } else { neg++; if (p[i] < threshold) tn++; }
  }
  if (pos === 0 || neg === 0) return Number.NaN;
  return 0.5 * (tp / pos + tn / neg);
}

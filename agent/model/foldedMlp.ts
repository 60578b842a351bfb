// A plan-time forward pass for the two MLPs the planner calls hundreds of times per step: the
// predictor P(z, a) and the failure head, both built as concat([z, a_norm]) -> dense ... -> out.
// The action normalization (affine) is folded into the first layer's weights, and the layers run
// as plain ops instead of through tf.layers. At 256 candidates a call is dominated by per-op
// overhead, not arithmetic: the folded pass takes ~1.2 ms against ~1.7 ms on wasm, and a jepa-cem
// step makes horizon x iterations of them. The result is checked against the layers model once,
// at construction; a network of another shape is simply not folded (see foldMlp's undefined).
// A failure head that reads the predicted change [z, next_S - z_S] gets that difference folded in
// too: the planner passes z and next as they are, and no slice / subtract / concat runs per call.
import * as tf from '@tensorflow/tfjs';
import type { ActionAffine } from '../trainData.ts';
import { FAILURE_INPUTS_CHANGE, failureFeatureDim, failureFeatures } from './failureHead.ts';

/**
 * (z [N, D], raw actions [N, A], and for a change-input head next [N, D]) -> output [N, out].
 * Caller disposes the result.
 */
export type FoldedForward = (z: tf.Tensor2D, actions: tf.Tensor2D, next?: tf.Tensor2D) => tf.Tensor2D;

/** A first input of [z, next[:, :sceneDims] - z[:, :sceneDims]] (failureHead's change inputs). */
export interface ChangeInput { latentDim: number; sceneDims: number }

interface DenseWeights {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  relu: boolean;
}

/** The dense layers of `model` in order, or undefined when it is not the concat -> dense chain we fold. */
function denseChain(model: tf.LayersModel): { dense: DenseWeights[]; residual: boolean } | undefined {
  const names = model.layers.map((l) => l.getClassName());
  const dense: DenseWeights[] = [];
  let residual = false;
  for (const [i, layer] of model.layers.entries()) {
    const kind = names[i];
    if (kind === 'InputLayer' || kind === 'Concatenate') continue;
    if (kind === 'Add' && i === model.layers.length - 1) { residual = true; continue; }
    if (kind !== 'Dense') return undefined;
    const cfg = layer.getConfig() as { activation?: string; useBias?: boolean };
    const act = cfg.activation ?? 'linear';
    if (cfg.useBias === false || (act !== 'relu' && act !== 'linear')) return undefined;
    const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D];
    dense.push({ kernel, bias, relu: act === 'relu' });
  }
  if (dense.length === 0 || model.inputs.length !== 2) return undefined;
  return { dense, residual };
}

/**
 * Fold `model` (inputs [z, a_norm], a_norm = a * scale + offset; with `change`, [features, a_norm]
 * where features = [z, next_S - z_S]) into a forward on raw actions (and raw z, next). Returns the
 * forward and the tensors it owns (dispose them with the model), or undefined when the network's
 * shape is not the one folded here or the folded output disagrees with model.apply.
 */
export function foldMlp(model: tf.LayersModel, affine: ActionAffine, change?: ChangeInput): { forward: FoldedForward; owned: tf.Tensor[] } | undefined {
  const chain = denseChain(model);
  if (!chain) return undefined;
  const inDim = model.inputs[0].shape[1];
  const aDim = model.inputs[1].shape[1];
  if (inDim == null || aDim == null || aDim !== affine.scale.length || aDim !== affine.offset.length) return undefined;
  const first = chain.dense[0];
  if (first.kernel.shape[0] !== inDim + aDim) return undefined;
  if (change && (chain.residual || change.sceneDims < 1 || change.sceneDims > change.latentDim || inDim !== failureFeatureDim(FAILURE_INPUTS_CHANGE, change.latentDim, change.sceneDims))) return undefined;
  const zDim = change ? change.latentDim : inDim;
  const owned = tf.tidy(() => {
    let wz = tf.slice(first.kernel, [0, 0], [zDim, -1]);
    const waNorm = tf.slice(first.kernel, [inDim, 0], [aDim, -1]);
    // a_norm·Wa = a·(scale ⊙ Wa) + offset·Wa: the scale goes into the kernel, the offset into the bias.
    const wa = tf.mul(waNorm, tf.tensor2d(affine.scale as number[], [aDim, 1]));
    const b0 = tf.add(first.bias, tf.reshape(tf.matMul(tf.tensor2d(affine.offset as number[], [1, aDim]), waNorm), [-1]));
    if (!change) return [wz, wa, b0] as tf.Tensor[];
    // (next_S - z_S)·Wc = next·Wn - z·Wn with Wn = Wc padded with zero rows for the body dims.
    const wn = tf.pad(tf.slice(first.kernel, [zDim, 0], [change.sceneDims, -1]), [[0, zDim - change.sceneDims], [0, 0]]);
    wz = tf.sub(wz, wn);
    return [wz, wa, b0, wn] as tf.Tensor[];
  });
  const [wz, wa, b0, wn] = owned as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D | undefined];
  const rest = chain.dense.slice(1);
  const forward: FoldedForward = (z, actions, next) => tf.tidy(() => {
    let h = tf.add(tf.add(tf.matMul(z, wz), tf.matMul(actions, wa)), b0) as tf.Tensor2D;
    if (wn) {
      if (!next) throw new Error('this folded failure head reads the predicted change: pass next = predict(z, actions)');
      h = tf.add(h, tf.matMul(next, wn));
    }
    if (first.relu) h = tf.relu(h);
    for (const d of rest) {
      h = tf.add(tf.matMul(h, d.kernel), d.bias);
      if (d.relu) h = tf.relu(h);
    }
    return chain.residual ? tf.add(z, h) as tf.Tensor2D : h;
  });
  if (!agreesWithLayers(model, forward, zDim, aDim, affine, change)) {
    tf.dispose(owned);
    return undefined;
  }
  return { forward, owned };
}

/** One small deterministic batch through both paths; float32 reordering allows ~1e-6. */
function agreesWithLayers(model: tf.LayersModel, forward: FoldedForward, zDim: number, aDim: number, affine: ActionAffine,
  change?: ChangeInput): boolean {
  const n = 8;
  // The fold is exact algebra, so any raw inputs test it; these lie within typical bounds.
  const zs = Float32Array.from({ length: n * zDim }, (_, i) => Math.sin(i * 1.7) * 1.5);
  const ns = Float32Array.from({ length: n * zDim }, (_, i) => Math.sin(i * 0.9 + 1) * 1.5);
  const as = Float32Array.from({ length: n * aDim }, (_, i) => Math.cos(i * 2.3) * 0.2);
  const diff = tf.tidy(() => {
    const z = tf.tensor2d(zs, [n, zDim]);
    const next = tf.tensor2d(ns, [n, zDim]);
    const a = tf.tensor2d(as, [n, aDim]);
    const aNorm = tf.add(tf.mul(a, tf.tensor1d(affine.scale as number[])), tf.tensor1d(affine.offset as number[]));
    const features = change ? failureFeatures(FAILURE_INPUTS_CHANGE, z, next, change.sceneDims) : z;
    const ref = model.apply([features, aNorm]) as tf.Tensor2D;
    const out = forward(z, a, next);
    return tf.max(tf.div(tf.abs(tf.sub(ref, out)), tf.add(tf.abs(ref), 1)));
  });
  const worst = diff.dataSync()[0];
  diff.dispose();
  return Number.isFinite(worst) && worst < 1e-4;
}

// The JEPA objective: predict the next latent from the current latent and action, in latent
// space only. Targets come from a stop-gradient branch (an EMA copy of the encoder, or the
// encoder itself with its gradient cut); an anti-collapse term keeps the latents spread out.
// Also the one training step both model kinds share (gradients, optimizer, EMA update).
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../trainData.ts';
import { batchTensors, generativeLoss, type BatchTensors } from './generative.ts';
import { trainableVariables, type ModelConfig, type Networks } from './networks.ts';
import { sceneDimsOf } from './encoder.ts';
import { applyPredictor } from './predictor.ts';
import { sigreg, vicregTerms } from './regularizers.ts';

/** Identity forward, zero gradient: the target branch must not pull the encoder. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

function distance(kind: ModelConfig['loss'], a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return (kind === 'l1' ? tf.mean(tf.abs(tf.sub(a, b))) : tf.mean(tf.squaredDifference(a, b))) as tf.Scalar;
}

export const jepaTermNames = ['loss', 'teacher', 'rollout', 'reg', 'smooth'] as const;
export const generativeTermNames = ['loss', 'recon', 'teacher', 'rollout'] as const;

export function termNames(cfg: ModelConfig): readonly string[] {
  return cfg.kind === 'jepa' ? jepaTermNames : generativeTermNames;
}

/** Returns [total, teacher, rollout, reg, smooth]. `step` seeds SIGReg's random directions. */
export function jepaLoss(nets: Networks, cfg: ModelConfig, bt: BatchTensors, B: number, step: number): tf.Scalar[] {
  const k = cfg.k;
  const z = nets.encoder.apply(cfg.obs === 'depth' ? [bt.depth as tf.Tensor2D, bt.vec] : [bt.vec], { training: true }) as tf.Tensor2D;
  let zTarget: tf.Tensor2D;
  if (cfg.target === 'ema' && nets.target) {
    // Computed inside the tape but from non-trainable weights: it contributes no gradient.
    zTarget = nets.target.apply(cfg.obs === 'depth' ? [bt.depth as tf.Tensor2D, bt.vec] : [bt.vec]) as tf.Tensor2D;
  } else if (cfg.target === 'stopgrad') {
    zTarget = stopGradient(z) as tf.Tensor2D;
  } else {
    zTarget = z;
  }
  const next = tf.slice(zTarget, [B, 0], [k * B, -1]);
  const teacher = distance(cfg.loss, applyPredictor(nets.predictor, tf.slice(z, [0, 0], [k * B, -1]), bt.actions), next);
  let zr = tf.slice(z, [0, 0], [B, -1]) as tf.Tensor2D;
  const rolled: tf.Tensor2D[] = [];
  for (let j = 0; j < k; j++) {
    zr = applyPredictor(nets.predictor, zr, tf.slice(bt.actions, [j * B, 0], [B, -1]));
    rolled.push(zr);
  }
  const rollout = distance(cfg.loss, tf.concat(rolled, 0), next);
  let reg: tf.Scalar = tf.scalar(0);
  // Only the learned scene part is regularized: the body part is the fixed normalized proprio.
  const scene = sceneDimsOf(cfg.encoder);
  const zReg = scene < cfg.encoder.latentDim ? tf.slice(z, [0, 0], [-1, scene]) as tf.Tensor2D : z;
  if (cfg.reg === 'vicreg') {
    const [v, c] = vicregTerms(zReg);
    // VICReg's usual 25:1 variance-to-covariance ratio.
    reg = tf.add(v, tf.mul(c, 0.04)) as tf.Scalar;
  } else if (cfg.reg === 'sigreg') {
    reg = sigreg(tf.slice(zReg, [0, 0], [B, -1]) as tf.Tensor2D, (step * 7919 + 17) >>> 0);
  }
  // Consecutive frames should sit close: with the variance term spreading the latents apart, the
  // distance between two latents then grows with how many steps of motion separate them, which is
  // what the planner's goal distance needs (a latent that scatters small moves far apart gives the
  // planner no slope to follow).
  const smooth = tf.mean(tf.squaredDifference(tf.slice(zReg, [0, 0], [k * B, -1]), tf.slice(zReg, [B, 0], [k * B, -1]))) as tf.Scalar;
  const total = tf.addN([teacher, tf.mul(rollout, cfg.rolloutWeight), tf.mul(reg, cfg.regWeight), tf.mul(smooth, cfg.smoothWeight ?? 0)]) as tf.Scalar;
  return [total, teacher, rollout, reg, smooth];
}

/** target <- m * target + (1 - m) * online, weight by weight. */
export function emaUpdate(target: tf.LayersModel, online: tf.LayersModel, m: number): void {
  tf.tidy(() => {
    const tw = target.weights;
    const ow = online.weights;
    for (let i = 0; i < tw.length; i++) {
      tw[i].write(tf.add(tf.mul(tw[i].read(), m), tf.mul(ow[i].read(), 1 - m)));
    }
  });
}

/** Loss terms and gradients for one batch, without applying them (used by the parity test). */
export function computeGradients(nets: Networks, cfg: ModelConfig, batch: Batch, step: number):
  { terms: number[]; grads: tf.NamedTensorMap } {
  const bt = batchTensors(batch);
  let terms: tf.Tensor1D | undefined;
  try {
    const { grads, value } = tf.variableGrads(() => {
      const parts = cfg.kind === 'jepa' ? jepaLoss(nets, cfg, bt, batch.size, step) : generativeLoss(nets, bt, cfg.k, batch.size, cfg.rolloutWeight);
      terms = tf.keep(tf.stack(parts) as tf.Tensor1D);
      return parts[0];
    }, trainableVariables(nets));
    value.dispose();
    const values = Array.from((terms as tf.Tensor1D).dataSync());
    return { terms: values, grads };
  } finally {
    terms?.dispose();
    bt.depth?.dispose();
    bt.depthRaw?.dispose();
    bt.vec.dispose();
    bt.actions.dispose();
  }
}

/** One optimizer step; returns the loss terms (total first). Non-finite loss: nothing applied. */
export function trainStep(nets: Networks, cfg: ModelConfig, batch: Batch, optimizer: tf.Optimizer, step: number): number[] {
  const { terms, grads } = computeGradients(nets, cfg, batch, step);
  try {
    if (terms.every(Number.isFinite)) {
      optimizer.applyGradients(grads);
      if (nets.target) emaUpdate(nets.target, nets.encoder, cfg.ema);
    }
  } finally {
    tf.dispose(grads);
  }
  return terms;
}

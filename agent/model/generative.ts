// The generative baseline: the same encoder and predictor, plus a decoder that turns a latent
// back into a depth image, trained on pixel error of predicted next observations. It is the
// contrast to the JEPA (which never reconstructs pixels).
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../trainData.ts';
import type { Networks } from './networks.ts';
import { applyPredictor } from './predictor.ts';

export interface DecoderConfig { latentDim: number; hidden: number; pixels: number }

export function buildDecoder(cfg: DecoderConfig, name: string, seed: number): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 151 + i });
  const z = tf.input({ shape: [cfg.latentDim], name: `${name}_z` });
  let h = tf.layers.dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: init(0), name: `${name}_h1` }).apply(z) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: init(1), name: `${name}_h2` }).apply(h) as tf.SymbolicTensor;
  const img = tf.layers.dense({ units: cfg.pixels, activation: 'sigmoid', kernelInitializer: init(2), name: `${name}_img` }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: z, outputs: img, name });
}

export function decoderMacs(cfg: DecoderConfig): number {
  return cfg.latentDim * cfg.hidden + cfg.hidden * cfg.hidden + cfg.hidden * cfg.pixels;
}

export interface BatchTensors { depth: tf.Tensor2D | null; depthRaw: tf.Tensor2D | null; vec: tf.Tensor2D; actions: tf.Tensor2D }

export function batchTensors(b: Batch): BatchTensors {
  const rows = (b.k + 1) * b.size;
  return {
    depth: b.depth ? tf.tensor2d(b.depth, [rows, b.depth.length / rows]) : null,
    depthRaw: b.depthRaw ? tf.tensor2d(b.depthRaw, [rows, b.depthRaw.length / rows]) : null,
    vec: tf.tensor2d(b.vec, [rows, b.vec.length / rows]),
    actions: tf.tensor2d(b.actions, [b.k * b.size, 3]),
  };
}

/**
 * Pixel losses: reconstruction of every frame, one-step prediction from every encoded frame
 * (teacher forcing), and a k-step rollout from the first frame, all decoded and compared (MSE)
 * with the recorded depth images. Returns [total, recon, teacher, rollout].
 */
export function generativeLoss(nets: Networks, bt: BatchTensors, k: number, B: number, rolloutWeight: number): tf.Scalar[] {
  const decoder = nets.decoder;
  if (!decoder || !bt.depth || !bt.depthRaw) throw new Error('the generative model needs a decoder and depth observations (with raw frames)');
  const raw = bt.depthRaw;
  const z = nets.encoder.apply([bt.depth, bt.vec], { training: true }) as tf.Tensor2D;
  const decode = (x: tf.Tensor2D) => decoder.apply(x) as tf.Tensor2D;
  const recon = tf.losses.meanSquaredError(raw, decode(z)) as tf.Scalar;
  const zPrev = tf.slice(z, [0, 0], [k * B, -1]);
  const nextImg = tf.slice(raw, [B, 0], [k * B, -1]);
  const teacher = tf.losses.meanSquaredError(nextImg, decode(applyPredictor(nets.predictor, zPrev, bt.actions))) as tf.Scalar;
  let zr = tf.slice(z, [0, 0], [B, -1]) as tf.Tensor2D;
  const rolled: tf.Tensor2D[] = [];
  for (let j = 0; j < k; j++) {
    zr = applyPredictor(nets.predictor, zr, tf.slice(bt.actions, [j * B, 0], [B, -1]));
    rolled.push(zr);
  }
  const rollout = tf.losses.meanSquaredError(nextImg, decode(tf.concat(rolled, 0))) as tf.Scalar;
  const total = tf.addN([recon, teacher, tf.mul(rollout, rolloutWeight)]) as tf.Scalar;
  return [total, recon, teacher, rollout];
}

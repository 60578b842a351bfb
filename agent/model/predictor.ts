// The action-conditioned latent dynamics P(z, a) -> z'. A residual MLP: it predicts the change
// of the latent, so "nothing happens" (pusher in free space, bottle at rest) is the easy default.
// Kept small because planners call it for hundreds of candidates per horizon step.
import * as tf from '@tensorflow/tfjs';

export interface PredictorConfig {
  latentDim: number;
  actionDim: number;
  hidden: number;
  layers: number;
}

export function buildPredictor(cfg: PredictorConfig, name: string, seed: number): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 131 + i });
  const z = tf.input({ shape: [cfg.latentDim], name: `${name}_z` });
  const a = tf.input({ shape: [cfg.actionDim], name: `${name}_a` });
  let h = tf.layers.concatenate().apply([z, a]) as tf.SymbolicTensor;
  for (let i = 0; i < cfg.layers; i++) {
    h = tf.layers.dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: init(i), name: `${name}_h${i}` }).apply(h) as tf.SymbolicTensor;
  }
  // A small initial residual keeps early rollouts close to "copy the last latent".
  const delta = tf.layers.dense({
    units: cfg.latentDim, kernelInitializer: tf.initializers.randomNormal({ stddev: 1e-3, seed: seed * 131 + 99 }), name: `${name}_delta`,
  }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.add().apply([z, delta]) as tf.SymbolicTensor;
  return tf.model({ inputs: [z, a], outputs: out, name });
}

export function predictorMacs(cfg: PredictorConfig): number {
  let macs = (cfg.latentDim + cfg.actionDim) * cfg.hidden;
  macs += (cfg.layers - 1) * cfg.hidden * cfg.hidden;
  return macs + cfg.hidden * cfg.latentDim;
}

export function applyPredictor(model: tf.LayersModel, z: tf.Tensor2D, aNorm: tf.Tensor2D): tf.Tensor2D {
  return model.apply([z, aNorm]) as tf.Tensor2D;
}

// The observation encoder E: depth image + proprio -> latent z. Built from ops that train on the
// wasm backend (which has no conv-filter gradient): the image is cut into square patches with
// reshape + permute, every patch goes through one shared dense layer, and an MLP mixes the
// flattened patch features with the normalized proprio. The state variant (for ablations)
// is a plain MLP over privileged state + proprio.
import * as tf from '@tensorflow/tfjs';

export interface EncoderConfig {
  obs: 'depth' | 'state';
  /** Image side lengths (depth) — ignored for the state variant. */
  height: number;
  width: number;
  patch: number;
  patchFeatures: number;
  /** Length of the non-image input vector: proprio (3) for depth, state + proprio for state. */
  vecDim: number;
  hidden: number;
  /** Total latent size (scene + body dims). */
  latentDim: number;
  /**
   * Split latent (depth only): the last `bodyDim` dims are the normalized proprio itself and the
   * first latentDim - bodyDim come from the depth image alone, so goal distances can ignore the
   * agent's body. 0 or absent (checkpoints before the split): proprio is mixed into every dim.
   */
  bodyDim?: number;
  /**
   * Depth frames per observation (depth only): 2 = the current and the previous image, paired
   * patch by patch, and proprio plus its last change, so the latent can carry velocities (a
   * sliding bottle about to topple looks the same as a resting one in one frame). Absent: 1.
   */
  frames?: number;
}

export function framesOf(cfg: Pick<EncoderConfig, 'frames'>): number {
  return cfg.frames ?? 1;
}

export function defaultEncoderConfig(obs: 'depth' | 'state', height: number, width: number, vecDim: number, latentDim: number, bodyDim = 0, frames = 1): EncoderConfig {
  return { obs, height, width, patch: 8, patchFeatures: 32, vecDim, hidden: 256, latentDim, bodyDim, frames };
}

/** Leading latent dims that describe the scene (all of them for an unsplit encoder). */
export function sceneDimsOf(cfg: EncoderConfig): number {
  return cfg.latentDim - (cfg.bodyDim ?? 0);
}

/** Inputs: [image [N, frames*H*W] (current frame first)] + [vec [N, vecDim]] for depth; [vec] only for state. */
export function buildEncoder(cfg: EncoderConfig, name: string, seed: number): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed * 101 + i });
  const vec = tf.input({ shape: [cfg.vecDim], name: `${name}_vec` });
  const bodyDim = cfg.bodyDim ?? 0;
  if (bodyDim > 0 && (cfg.obs !== 'depth' || bodyDim !== cfg.vecDim)) {
    throw new Error(`a split latent needs the depth observation and bodyDim = proprio size (${cfg.vecDim}); got ${cfg.obs}, ${bodyDim}`);
  }
  let h: tf.SymbolicTensor;
  const inputs: tf.SymbolicTensor[] = [];
  if (cfg.obs === 'depth') {
    const { height: H, width: W, patch: p } = cfg;
    if (H % p !== 0 || W % p !== 0) throw new Error(`image ${W}x${H} is not divisible by patch size ${p}`);
    const F = framesOf(cfg);
    const img = tf.input({ shape: [F * H * W], name: `${name}_depth` });
    inputs.push(img);
    // Each patch token holds the same patch of every frame, so motion is visible to one dense layer.
    const grid = tf.layers.reshape({ targetShape: F === 1 ? [H / p, p, W / p, p] : [F, H / p, p, W / p, p] }).apply(img) as tf.SymbolicTensor;
    const perm = tf.layers.permute({ dims: F === 1 ? [1, 3, 2, 4] : [2, 4, 1, 3, 5] }).apply(grid) as tf.SymbolicTensor;
    const patches = tf.layers.reshape({ targetShape: [(H / p) * (W / p), F * p * p] }).apply(perm) as tf.SymbolicTensor;
    const feats = tf.layers.dense({ units: cfg.patchFeatures, activation: 'relu', kernelInitializer: init(0), name: `${name}_patch` })
      .apply(patches) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(feats) as tf.SymbolicTensor;
    h = bodyDim > 0 ? flat : tf.layers.concatenate().apply([flat, vec]) as tf.SymbolicTensor;
  } else {
    h = vec;
  }
  inputs.push(vec);
  h = tf.layers.dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: init(1), name: `${name}_h1` }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: init(2), name: `${name}_h2` }).apply(h) as tf.SymbolicTensor;
  const scene = tf.layers.dense({ units: cfg.latentDim - bodyDim, kernelInitializer: init(3), name: `${name}_z` }).apply(h) as tf.SymbolicTensor;
  // The body part is the normalized proprio as is: exact, and nothing for the loss to distort.
  const z = bodyDim > 0 ? tf.layers.concatenate({ name: `${name}_zsplit` }).apply([scene, vec]) as tf.SymbolicTensor : scene;
  return tf.model({ inputs, outputs: z, name });
}

/** Multiply-accumulates of one encoder forward pass for one observation (for GFLOP/s figures). */
export function encoderMacs(cfg: EncoderConfig): number {
  let macs = 0;
  let inDim = (cfg.bodyDim ?? 0) > 0 ? 0 : cfg.vecDim;
  if (cfg.obs === 'depth') {
    const nPatches = (cfg.height / cfg.patch) * (cfg.width / cfg.patch);
    macs += nPatches * framesOf(cfg) * cfg.patch * cfg.patch * cfg.patchFeatures;
    inDim += nPatches * cfg.patchFeatures;
  }
  macs += inDim * cfg.hidden + cfg.hidden * cfg.hidden + cfg.hidden * sceneDimsOf(cfg);
  return macs;
}

/** Apply an encoder to already-normalized inputs. */
export function applyEncoder(model: tf.LayersModel, obs: 'depth' | 'state', image: tf.Tensor2D | null, vec: tf.Tensor2D, training = false): tf.Tensor2D {
  const inputs = obs === 'depth' ? [image as tf.Tensor2D, vec] : [vec];
  return model.apply(inputs, { training }) as tf.Tensor2D;
}

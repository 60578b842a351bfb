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
  /**
   * Spatial-softmax keypoints (depth, one frame): K per-pixel attention maps whose expected image
   * coordinates, linearly mixed, are the last 2K scene dims and also feed the MLP. Patch and MLP
   * features say *whether* the object is near a place, so a latent made of them alone stops
   * growing a few cm away from it (fragile's: flat beyond 7-10 cm); coordinates keep growing with
   * the distance, so this part of the goal distance keeps its slope far from the goal.
   * 0 or absent: none.
   */
  keypoints?: number;
  /**
   * How each keypoint map weighs the pixels: 'softmax' (absent: checkpoints before the choice)
   * or 'threshold' (how much nearer than a learned depth each pixel is). See SpatialSoftmax.
   */
  keypointMap?: KeypointMap;
}

export type KeypointMap = 'softmax' | 'threshold';

export function keypointsOf(cfg: Pick<EncoderConfig, 'keypoints'>): number {
  return cfg.keypoints ?? 0;
}

/** Image-coordinate grids (x and y, each -1..1 over the image) as [1, 1, H*W] rows. */
function coordinateRows(height: number, width: number): [tf.Tensor3D, tf.Tensor3D] {
  const gx = new Float32Array(height * width);
  const gy = new Float32Array(height * width);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      gx[r * width + c] = ((c + 0.5) / width) * 2 - 1;
      gy[r * width + c] = ((r + 0.5) / height) * 2 - 1;
    }
  }
  return [tf.tensor3d(gx, [1, 1, height * width]), tf.tensor3d(gy, [1, 1, height * width])];
}

/**
 * Pooling factor for the keypoint maps: for softmax maps the largest of 1, 2, 4, ... that leaves
 * >= 16 pixels a side; threshold maps take every pixel (see SpatialSoftmax).
 */
export function keypointPool(height: number, width: number, map: KeypointMap = 'softmax'): number {
  let p = 1;
  if (map === 'threshold') return p;
  while (height % (2 * p) === 0 && width % (2 * p) === 0 && height / (2 * p) >= 16 && width / (2 * p) >= 16) p *= 2;
  return p;
}

interface SpatialSoftmaxArgs { keypoints: number; height: number; width: number; map?: KeypointMap; seed?: number; name?: string }

/**
 * [N, H*W] normalized depth -> [N, 2K]: K softmax attention maps over the pixels, map k with the
 * logits scale_k * depth (a learned sharpness; negative attends to whatever is nearer than usual),
 * and each map's expected x and y. A layer of its own because, as dense layers, the per-pixel
 * logits and the coordinate average are matmuls with an inner size of 1 or 2, and those made a
 * training step 2.3x slower on wasm. Even as broadcast multiplies and sums, every op over
 * N x K x pixels costs a few ms on wasm, so the image is average-pooled to 16x16 first (1.9 cm
 * pixels become 3.8 cm; the expectation still places the object between pixel centres).
 *
 * The 'threshold' map weighs pixel i by relu(t_k - depth_i), how much nearer it is than a learned
 * depth t_k, and takes the weighted mean position: the centre of the object's nearer-than-t_k
 * mass. Taken over every pixel, that mean moves linearly with the object, to a fraction of a
 * pixel, wherever it stands (pooled first, a quarter-pixel move showed as a step of 0 to 0.5
 * pixel: a pooled cell places its mass at its centre). The softmax's mean did not: its sharpness
 * stayed near its start (-2.7 to -3.2), so it snapped between pooled pixels, and in a fragile
 * model trained with softmax maps the keypoints' distance rose by only 0.07 from 5 to 15 mm off the goal and
 * jumped by 0.8 between 30 and 35 mm. Maps with different t_k see different parts (a
 * low one the whole bottle, a high one its top, which leans with the tilt). With nothing nearer
 * than t_k (the bottle gone) a map weighs 0 everywhere and reads 0.
 */
export class SpatialSoftmax extends tf.layers.Layer {
  static readonly className = 'SpatialSoftmax';
  private readonly keypoints: number;
  private readonly height: number;
  private readonly width: number;
  private readonly seed: number;
  private readonly map: KeypointMap;
  /** Average-pooling factor: the maps are taken at most 16 pixels a side (see the class comment). */
  private readonly pool: number;
  /** Per map: the softmax's sharpness, or the threshold map's depth t_k. */
  private perMap: tf.LayerVariable | null = null;
  /** The pooled image's coordinate rows: made once when built (every training step and every
   * encode calls the layer), freed with it. */
  private grid: tf.Tensor3D[] | null = null;

  constructor(args: SpatialSoftmaxArgs) {
    super({ name: args.name });
    this.keypoints = args.keypoints;
    this.height = args.height;
    this.width = args.width;
    this.seed = args.seed ?? 0;
    this.map = args.map ?? 'softmax';
    this.pool = keypointPool(args.height, args.width, this.map);
  }

  override build(): void {
    // Thresholds in normalized depth (0 is the data's mean depth at that pixel, the bare table
    // wherever the object seldom stands; the top of an upright bottle is near -2): spread so the
    // maps start on different parts of the object.
    this.perMap = this.map === 'softmax'
      ? this.addWeight('scale', [this.keypoints], 'float32', tf.initializers.randomUniform({ minval: -3, maxval: -1, seed: this.seed }))
      : this.addWeight('threshold', [this.keypoints], 'float32', tf.initializers.randomUniform({ minval: -1.2, maxval: -0.3, seed: this.seed }));
    // Kept: build may run inside a caller's tidy.
    this.grid = coordinateRows(this.height / this.pool, this.width / this.pool).map((t) => tf.keep(t));
    this.built = true;
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0 && this.grid) {
      tf.dispose(this.grid);
      this.grid = null;
    }
    return result;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], 2 * this.keypoints];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const raw = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const K = this.keypoints;
      const p = this.pool;
      const [h, w] = [this.height / p, this.width / p];
      const x = p === 1 ? raw : tf.reshape(tf.mean(tf.reshape(raw, [-1, h, p, w, p]), [2, 4]), [-1, h * w]);
      const perMap = tf.reshape(this.perMap!.read(), [1, K, 1]);
      let attention: tf.Tensor;
      if (this.map === 'softmax') {
        attention = tf.softmax(tf.mul(tf.expandDims(x, 1), perMap), -1);
      } else {
        const mass = tf.relu(tf.sub(perMap, tf.expandDims(x, 1)));
        // The small constant keeps an empty map (nothing nearer than t_k) at 0 instead of 0/0.
        attention = tf.div(mass, tf.add(tf.sum(mass, -1, true), 1e-3));
      }
      const [gx, gy] = this.grid!;
      // [N, K, 2] -> [N, 2K] as x1, y1, x2, y2, ...
      return tf.reshape(tf.stack([tf.sum(tf.mul(attention, gx), -1), tf.sum(tf.mul(attention, gy), -1)], 2), [-1, 2 * K]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), keypoints: this.keypoints, height: this.height, width: this.width, map: this.map, seed: this.seed };
  }
}
tf.serialization.registerClass(SpatialSoftmax);

export function framesOf(cfg: Pick<EncoderConfig, 'frames'>): number {
  return cfg.frames ?? 1;
}

export function defaultEncoderConfig(obs: 'depth' | 'state', height: number, width: number, vecDim: number, latentDim: number, bodyDim = 0, frames = 1, keypoints = 0,
  keypointMap: KeypointMap = 'softmax'): EncoderConfig {
  return { obs, height, width, patch: 8, patchFeatures: 32, vecDim, hidden: 256, latentDim, bodyDim, frames, ...(keypoints > 0 ? { keypoints, keypointMap } : {}) };
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
  const K = keypointsOf(cfg);
  if (K > 0 && (cfg.obs !== 'depth' || framesOf(cfg) !== 1 || 2 * K >= cfg.latentDim - bodyDim)) {
    throw new Error(`keypoints need the depth observation, one frame and 2K < scene dims (${cfg.latentDim - bodyDim}); got ${cfg.obs}, ${framesOf(cfg)} frames, K = ${K}`);
  }
  let h: tf.SymbolicTensor;
  let kp: tf.SymbolicTensor | undefined;
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
    let flat = tf.layers.flatten().apply(feats) as tf.SymbolicTensor;
    if (K > 0) {
      const points = new SpatialSoftmax({ keypoints: K, height: H, width: W, map: cfg.keypointMap, seed: seed * 101 + 7, name: `${name}_kp` }).apply(img) as tf.SymbolicTensor;
      kp = tf.layers.dense({ units: 2 * K, kernelInitializer: init(4), name: `${name}_kpz` }).apply(points) as tf.SymbolicTensor;
      flat = tf.layers.concatenate().apply([flat, points]) as tf.SymbolicTensor;
    }
    h = bodyDim > 0 ? flat : tf.layers.concatenate().apply([flat, vec]) as tf.SymbolicTensor;
  } else {
    h = vec;
  }
  inputs.push(vec);
  h = tf.layers.dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: init(1), name: `${name}_h1` }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: init(2), name: `${name}_h2` }).apply(h) as tf.SymbolicTensor;
  const mixed = tf.layers.dense({ units: cfg.latentDim - bodyDim - 2 * K, kernelInitializer: init(3), name: `${name}_z` }).apply(h) as tf.SymbolicTensor;
  const scene = kp ? tf.layers.concatenate({ name: `${name}_zkp` }).apply([mixed, kp]) as tf.SymbolicTensor : mixed;
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
    const K = keypointsOf(cfg);
    if (K > 0) {
      // The pooling, logits and the two coordinate averages per map, the mix; the MLP reads the coordinates too.
      macs += cfg.height * cfg.width + (cfg.height * cfg.width * K * 3) / keypointPool(cfg.height, cfg.width, cfg.keypointMap) ** 2 + 4 * K * K;
      inDim += 2 * K;
    }
  }
  macs += inDim * cfg.hidden + cfg.hidden * cfg.hidden + cfg.hidden * (sceneDimsOf(cfg) - 2 * keypointsOf(cfg));
  return macs;
}

/** Apply an encoder to already-normalized inputs. */
export function applyEncoder(model: tf.LayersModel, obs: 'depth' | 'state', image: tf.Tensor2D | null, vec: tf.Tensor2D, training = false): tf.Tensor2D {
  const inputs = obs === 'depth' ? [image as tf.Tensor2D, vec] : [vec];
  return model.apply(inputs, { training }) as tf.Tensor2D;
}

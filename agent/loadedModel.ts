// The WorldModel that planners, the viewer and the benchmark use: networks from a checkpoint plus
// the normalization they were trained with, so callers pass raw observations and raw actions.
import * as tf from '@tensorflow/tfjs';
import type { ActionBounds } from '../sim/types.ts';
import type { CheckpointConfig } from './checkpoint.ts';
import { applyEncoder, sceneDimsOf } from './model/encoder.ts';
import { boundsOf, vecDimFor, writeDepth, writeVec } from './trainData.ts';
import type { ModelKind, WorldModel } from './worldModel.ts';

export class CheckpointWorldModel implements WorldModel {
  readonly kind: ModelKind;
  readonly latentDim: number;
  readonly obsSize: { width: number; height: number };
  readonly showsPusher: boolean;
  readonly probeLabels: string[];
  readonly sceneDims: number;
  readonly actionBounds: ActionBounds;
  private readonly actLow: tf.Tensor1D;
  private readonly actScale: tf.Tensor1D;
  /** Present only on the generative baseline (so `if (model.decode)` tells the kinds apart). */
  readonly decode?: (z: tf.Tensor2D) => tf.Tensor2D;

  constructor(readonly config: CheckpointConfig, private readonly encoder: tf.LayersModel, private readonly predictor: tf.LayersModel,
    private readonly probeNet: tf.LayersModel, private readonly decoder?: tf.LayersModel) {
    this.kind = config.model.kind;
    this.latentDim = config.model.encoder.latentDim;
    this.obsSize = { ...config.envSpec.obsSize };
    // Datasets from before the camera option showed the pusher.
    this.showsPusher = config.envSpec.camera.showsPusher ?? true;
    this.probeLabels = [...config.probe.labels];
    this.sceneDims = sceneDimsOf(config.model.encoder);
    this.actionBounds = boundsOf(config.normalization);
    const n = config.normalization;
    this.actLow = tf.tensor1d(n.actionLow);
    this.actScale = tf.tensor1d(n.actionHigh.map((h, j) => { const s = h - n.actionLow[j]; return s > 0 ? 2 / s : 0; }));
    if (decoder) this.decode = (z) => tf.tidy(() => decoder.apply(z) as tf.Tensor2D);
  }

  encode(depth: Float32Array[], proprio: Float32Array[], state?: Float32Array[]): tf.Tensor2D {
    const obs = this.config.model.obs;
    const n = proprio.length;
    if (obs === 'depth' && depth.length !== n) throw new Error(`encode: ${depth.length} depth images but ${n} proprio vectors`);
    if (obs === 'state' && (!state || state.length !== n)) throw new Error('encode: this model observes privileged state; pass state vectors');
    const hw = this.obsSize.width * this.obsSize.height;
    const vecDim = vecDimFor(obs, this.config.envSpec.stateLabels.length);
    const vec = new Float32Array(n * vecDim);
    for (let i = 0; i < n; i++) writeVec(obs, proprio[i], state ? state[i] : null, this.config.normalization, vec, i * vecDim);
    let img: Float32Array | null = null;
    if (obs === 'depth') {
      img = new Float32Array(n * hw);
      depth.forEach((d, i) => {
        if (d.length !== hw) throw new Error(`encode: depth image ${i} has ${d.length} values, the model expects ${hw}`);
        writeDepth(d, this.config.normalization, img as Float32Array, i * hw);
      });
    }
    return tf.tidy(() => applyEncoder(this.encoder, obs, img ? tf.tensor2d(img, [n, hw]) : null, tf.tensor2d(vec, [n, vecDim])));
  }

  predict(z: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const aNorm = tf.sub(tf.mul(tf.sub(actions, this.actLow), this.actScale), 1);
      return this.predictor.apply([z, aNorm]) as tf.Tensor2D;
    });
  }

  probe(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.probeNet.apply(z) as tf.Tensor2D);
  }


  dispose(): void {
    this.encoder.dispose();
    this.predictor.dispose();
    this.probeNet.dispose();
    this.decoder?.dispose();
    this.actLow.dispose();
    this.actScale.dispose();
  }
}

// The WorldModel that planners, the viewer and the benchmark use: networks from a checkpoint plus
// the normalization they were trained with, so callers pass raw observations and raw actions.
import * as tf from '@tensorflow/tfjs';
import type { ActionBounds } from '../sim/types.ts';
import type { CheckpointConfig } from './checkpoint.ts';
import { approachTargetsOf } from './approachFit.ts';
import { applyEncoder, framesOf, keypointsOf, sceneDimsOf } from './model/encoder.ts';
import { FAILURE_INPUTS_CHANGE, FAILURE_INPUTS_LATENT, failureFeatures } from './model/failureHead.ts';
import { foldMlp, type ChangeInput, type FoldedForward } from './model/foldedMlp.ts';
import { actionAffine, boundsOf, vecDimFor, writeDepth, writeVec } from './trainData.ts';
import type { ModelKind, PreviousFrames, WorldModel } from './worldModel.ts';

export class CheckpointWorldModel implements WorldModel {
  readonly kind: ModelKind;
  readonly latentDim: number;
  readonly obsSize: { width: number; height: number };
  readonly showsPusher: boolean;
  readonly distractors: number;
  readonly probeLabels: string[];
  readonly sceneDims: number;
  readonly keypointDims: number;
  readonly frames: number;
  readonly actionBounds: ActionBounds;
  /** The action normalization a * scale + offset (trainData.actionAffine), as tensors. */
  private readonly actScale: tf.Tensor1D;
  private readonly actOffset: tf.Tensor1D;
  /** Plan-time forwards with the action normalization folded in (undefined: use the layers). */
  private readonly fastPredict?: FoldedForward;
  private readonly folded: tf.Tensor[] = [];
  /** Present only on the generative baseline (so `if (model.decode)` tells the kinds apart). */
  readonly decode?: (z: tf.Tensor2D) => tf.Tensor2D;
  /** Present only when the checkpoint holds the failure head: logit of "fails at the next step", [N]. */
  readonly failureLogit?: (z: tf.Tensor2D, actions: tf.Tensor2D, next: tf.Tensor2D) => tf.Tensor1D;
  /** Present only when the checkpoint holds the approach head (see WorldModel.approachTarget). */
  readonly approachTarget?: (scene: tf.Tensor2D, goalScene: tf.Tensor2D) => tf.Tensor2D;

  constructor(readonly config: CheckpointConfig, private readonly encoder: tf.LayersModel, private readonly predictor: tf.LayersModel,
    private readonly probeNet: tf.LayersModel, private readonly decoder?: tf.LayersModel, private readonly failureNet?: tf.LayersModel,
    private readonly approachNet?: tf.LayersModel) {
    this.kind = config.model.kind;
    this.latentDim = config.model.encoder.latentDim;
    this.obsSize = { ...config.envSpec.obsSize };
    // Datasets from before the camera option showed the pusher.
    this.showsPusher = config.envSpec.camera.showsPusher ?? true;
    // Datasets from before the distractor dial had none.
    this.distractors = config.envSpec.distractors ?? 0;
    this.probeLabels = [...config.probe.labels];
    this.sceneDims = sceneDimsOf(config.model.encoder);
    this.keypointDims = 2 * keypointsOf(config.model.encoder);
    this.frames = config.model.obs === 'depth' ? framesOf(config.model.encoder) : 1;
    this.actionBounds = boundsOf(config.normalization);
    const n = config.normalization;
    const affine = actionAffine(n);
    this.actScale = tf.tensor1d([...affine.scale]);
    this.actOffset = tf.tensor1d([...affine.offset]);
    if (decoder) this.decode = (z) => tf.tidy(() => decoder.apply(z) as tf.Tensor2D);
    const fold = (net: tf.LayersModel, change?: ChangeInput): FoldedForward | undefined => {
      const f = foldMlp(net, affine, change);
      if (f) this.folded.push(...f.owned);
      return f?.forward;
    };
    this.fastPredict = fold(predictor);
    if (failureNet) {
      // Raw actions in, normalized exactly as predict() does. Heads stored before the predicted
      // change was an input record none and take the latent alone.
      const inputs = config.failure?.inputs ?? FAILURE_INPUTS_LATENT;
      const scene = this.sceneDims;
      const fast = fold(failureNet, inputs === FAILURE_INPUTS_CHANGE ? { latentDim: this.latentDim, sceneDims: scene } : undefined);
      this.failureLogit = (z, actions, next) => tf.tidy(() => tf.reshape(fast
        ? fast(z, actions, next)
        : failureNet.apply([failureFeatures(inputs, z, next, scene), this.normalizeActions(actions)]) as tf.Tensor2D, [-1]) as tf.Tensor1D);
    }
    if (approachNet) this.approachTarget = (scene, goalScene) => approachTargetsOf(approachNet, scene, goalScene);
  }

  encode(depth: Float32Array[], proprio: Float32Array[], state?: Float32Array[], previous?: PreviousFrames): tf.Tensor2D {
    const obs = this.config.model.obs;
    const n = proprio.length;
    const F = this.frames;
    if (obs === 'depth' && depth.length !== n) throw new Error(`encode: ${depth.length} depth images but ${n} proprio vectors`);
    if (obs === 'state' && (!state || state.length !== n)) throw new Error('encode: this model observes privileged state; pass state vectors');
    if (previous && (previous.depth.length !== n || previous.proprio.length !== n)) {
      throw new Error(`encode: ${previous.depth.length} previous images and ${previous.proprio.length} previous proprio vectors for ${n} observations`);
    }
    const hw = this.obsSize.width * this.obsSize.height;
    const vecDim = vecDimFor(obs, this.config.envSpec.stateLabels.length, F);
    const vec = new Float32Array(n * vecDim);
    for (let i = 0; i < n; i++) {
      writeVec(obs, proprio[i], state ? state[i] : null, this.config.normalization, vec, i * vecDim,
        F > 1 ? (previous?.proprio[i] ?? proprio[i]) : undefined);
    }
    let img: Float32Array | null = null;
    if (obs === 'depth') {
      img = new Float32Array(n * F * hw);
      const put = (d: Float32Array, what: string, offset: number): void => {
        if (d.length !== hw) throw new Error(`encode: ${what} has ${d.length} values, the model expects ${hw}`);
        writeDepth(d, this.config.normalization, img as Float32Array, offset);
      };
      depth.forEach((d, i) => {
        put(d, `depth image ${i}`, i * F * hw);
        if (F > 1) put(previous?.depth[i] ?? d, `previous depth image ${i}`, (i * F + 1) * hw);
      });
    }
    return tf.tidy(() => applyEncoder(this.encoder, obs, img ? tf.tensor2d(img, [n, F * hw]) : null, tf.tensor2d(vec, [n, vecDim])));
  }

  /** Raw actions -> -1..1 per the task's bounds, as the networks were trained. Call inside a tidy. */
  private normalizeActions(actions: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.mul(actions, this.actScale), this.actOffset) as tf.Tensor2D;
  }

  predict(z: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    if (this.fastPredict) return this.fastPredict(z, actions);
    return tf.tidy(() => this.predictor.apply([z, this.normalizeActions(actions)]) as tf.Tensor2D);
  }

  probe(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.probeNet.apply(z) as tf.Tensor2D);
  }


  dispose(): void {
    this.encoder.dispose();
    this.predictor.dispose();
    this.probeNet.dispose();
    this.decoder?.dispose();
    this.failureNet?.dispose();
    this.approachNet?.dispose();
    this.actScale.dispose();
    this.actOffset.dispose();
    tf.dispose(this.folded);
  }
}

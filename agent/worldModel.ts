// The contract between a trained model and whoever uses it (planners, viewer, benchmark).
// Implementations: the JEPA and the generative baseline, both loaded from a checkpoint directory.
import type * as tf from '@tensorflow/tfjs';

export type ModelKind = 'jepa' | 'generative';

/** The observations one agent step before the ones being encoded. */
export interface PreviousFrames { depth: Float32Array[]; proprio: Float32Array[] }

export interface WorldModel {
  readonly kind: ModelKind;
  readonly latentDim: number;
  /** Depth image size the encoder expects. */
  readonly obsSize: { width: number; height: number };
  /** Whether the depth images it was trained on showed the pusher (the Env must render alike). */
  readonly showsPusher?: boolean;
  /** The distractor level of the images it was trained on (plan, bench and serve render at it by default). Absent: 0. */
  readonly distractors?: number;
  /** Names of the probe outputs, e.g. ['bottle_x', 'bottle_z', 'tilt']. */
  readonly probeLabels: string[];
  /**
   * The leading `sceneDims` latent dims describe the scene (objects), the rest the agent's body
   * (proprio). Goal distances use only the scene part: the goal is about the objects, the pusher
   * is free to be anywhere. Absent: every dim counts (models with proprio mixed into the latent).
   */
  readonly sceneDims?: number;
  /**
   * How many of the scene dims, at its end, are spatial-softmax keypoint coordinates (2 per
   * keypoint; `train --keypoints`). Absent or 0: none.
   */
  readonly keypointDims?: number;

  /**
   * Observations the encoder takes at once: 2 = the current one and the one a step before (so
   * the latent can carry velocities). Absent: 1.
   */
  readonly frames?: number;

  /**
   * Embed observations: N depth images (H*W each) and N proprio vectors -> [N, D]. Caller disposes.
   * `state` is needed only by the privileged-state ablation model (`--obs state`). `previous`: the
   * observations one step earlier, for two-frame models (absent: at rest, the current ones repeat).
   */
  encode(depth: Float32Array[], proprio: Float32Array[], state?: Float32Array[], previous?: PreviousFrames): tf.Tensor2D;
  /**
   * One step of latent dynamics: z [N, D] and raw (un-normalized, within bounds) actions [N, 3]
   * -> next z [N, D]. Batched: planners call it once per horizon step for all candidates.
   */
  predict(z: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D;
  /** Read privileged quantities from latents (evaluation and drawing only, never planning): [N, P]. */
  probe(z: tf.Tensor2D): tf.Tensor2D;
  /** Generative baseline only: latents -> depth images [N, H*W] in 0..1. */
  decode?(z: tf.Tensor2D): tf.Tensor2D;
  /**
   * Failure head, when the model has one: z [N, D], raw actions [N, 3] (as for predict) and
   * next = predict(z, actions) [N, D] -> logit [N] of "the episode fails (falls, bursts) at the
   * next step". Learned from the dataset's termination flags and outcomes on frozen latents;
   * planners add P(fail within the horizon) to the energy. Caller disposes.
   */
  failureLogit?(z: tf.Tensor2D, actions: tf.Tensor2D, next: tf.Tensor2D): tf.Tensor1D;
  /**
   * Approach head, when the model has one: scene parts [N, sceneDims] and the goal's scene part
   * [1 or N, sceneDims] -> the body part [N, latentDim - sceneDims] that goes with a scene on its
   * way to that goal. Learned in hindsight on frozen latents; planners add the distance of each
   * predicted body to it. Caller disposes.
   */
  approachTarget?(scene: tf.Tensor2D, goalScene: tf.Tensor2D): tf.Tensor2D;

  dispose(): void;
}

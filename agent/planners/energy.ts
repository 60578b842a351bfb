// The planning energy: roll all candidates through the model together (one batched predict per
// horizon step), score each predicted state against the goal, weight the horizon toward its end,
// and add a small action-effort penalty. Used by jepa-cem / jepa-mppi (latent distance to the goal
// embedding) and generative-cem (pixel distance of decoded predictions to the goal image). With a
// model that has a failure head, the probability of failing within the horizon is added too.
import * as tf from '@tensorflow/tfjs';
import type { WorldModel } from '../worldModel.ts';
import { ACTION_DIM, type CostFn } from './types.ts';
import { effortPerCandidate, ratePerCandidate, type FlatBounds } from './sampling.ts';

export type DistanceKind = 'l1' | 'l2';
export const DISTANCE_KINDS: readonly DistanceKind[] = ['l1', 'l2'];

export interface EnergyOptions {
  distance: DistanceKind;
  /** Weight of the mean squared normalized velocity (see sampling.effortPerCandidate). */
  actionPenalty: number;
  /**
   * Weight of P(the episode fails within the horizon) from the model's failure head
   * (WorldModel.failureLogit, a calibrated probability); 0 or a model without the head: no
   * failure term. It is what a failure costs in units of goal distance (mean |.| goal distances
   * ~0.3-1.5; RMS is never smaller).
   */
  failureWeight?: number;
  /**
   * Weight of the mean squared change of the pusher velocity between consecutive steps
   * (sampling.ratePerCandidate), the first step from the action executed last. 0: off. CEM's
   * executed velocity jumps from one replan to the next, and a jump into an object is what bursts a
   * fragile one.
   */
  ratePenalty?: number;
  /**
   * Weight of the keypoint dims' own distance to the goal (WorldModel.keypointDims), added to the
   * scene distance. 0: off. The keypoint coordinates keep growing with how far the object is from
   * the goal where the scene distance flattens out (a few cm for fragile), and the scene distance
   * still resolves the last few cm where the keypoints' does not.
   */
  keypointWeight?: number;
  /**
   * Weight of the distance between each predicted body and the body the model's approach head
   * puts with that step's predicted scene and the goal (WorldModel.approachTarget), weighted over
   * the horizon like the goal distance. 0 or a model without the head: no approach term. It is
   * what gives a pusher far from the object a direction while the goal distance is still flat.
   */
  approachWeight?: number;
}

/**
 * Horizon weights, increasing linearly and summing to 1: reaching the goal at the end of the
 * horizon counts most, but intermediate steps still pull toward it (shorter paths win ties).
 */
export function horizonWeights(horizon: number): Float32Array {
  const total = (horizon * (horizon + 1)) / 2;
  return Float32Array.from({ length: horizon }, (_, t) => (t + 1) / total);
}

/** Per-row distance between x [N, D] and target [1, D]: mean |.| (l1) or Euclidean norm / sqrt(D) (l2). */
export function rowDistance(x: tf.Tensor2D, target: tf.Tensor2D, kind: DistanceKind): tf.Tensor1D {
  return tf.tidy(() => {
    const diff = tf.sub(x, target);
    if (kind === 'l1') return tf.mean(tf.abs(diff), 1) as tf.Tensor1D;
    return tf.sqrt(tf.mean(tf.square(diff), 1)) as tf.Tensor1D;
  });
}

/**
 * How many leading latent dims the goal distance compares: the model's scene part, or undefined
 * (all dims) when the model does not split its latent.
 */
export function goalDims(model: WorldModel): number | undefined {
  const d = model.sceneDims;
  if (d === undefined || d >= model.latentDim) return undefined;
  if (!Number.isInteger(d) || d < 1) throw new Error(`model.sceneDims must be an integer in 1..${model.latentDim}; got ${d}`);
  return d;
}

/** The actions of horizon step t of every candidate, as an [n, 3] tensor. */
function actionsAt(candidates: Float32Array, n: number, horizon: number, t: number): tf.Tensor2D {
  const a = new Float32Array(n * ACTION_DIM);
  const len = horizon * ACTION_DIM;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < ACTION_DIM; k++) a[i * ACTION_DIM + k] = candidates[i * len + t * ACTION_DIM + k];
  }
  return tf.tensor2d(a, [n, ACTION_DIM]);
}

export interface ModelCostSpec {
  model: WorldModel;
  /** The current latent, [1, D]. Owned by the caller. */
  z0: tf.Tensor2D;
  /** What predicted latents are compared with: [1, D] latent, or [1, H*W] goal image for 'pixel'. */
  goal: tf.Tensor2D;
  space: 'latent' | 'pixel';
  horizon: number;
  bounds: FlatBounds;
  options: EnergyOptions;
  /** The action executed last (for the rate penalty); absent at an episode's start (at rest). */
  previousAction?: Float32Array;
}

/**
 * The latent columns [start, start + size) that hold the model's keypoint coordinates (the end of
 * its scene part); throws if it has none.
 */
export function keypointColumns(model: WorldModel): { start: number; size: number } {
  const size = model.keypointDims ?? 0;
  const scene = model.sceneDims ?? model.latentDim;
  if (!(Number.isInteger(size) && size > 0 && size <= scene)) {
    throw new Error(`a keypoint distance needs a model with keypoint dims (train --keypoints); this one has ${size}`);
  }
  return { start: scene - size, size };
}

/** Build the cost function the optimizers call once per iteration with the whole batch. */
export function modelCost(spec: ModelCostSpec): CostFn {
  const { model, z0, goal, space, horizon, bounds, options } = spec;
  if (space === 'pixel' && !model.decode) {
    throw new Error(`pixel-space planning needs a model with decode(); this one is '${model.kind}'`);
  }
  const weights = horizonWeights(horizon);
  const scene = space === 'latent' ? goalDims(model) : undefined;
  const keypointWeight = options.keypointWeight ?? 0;
  if (keypointWeight > 0 && space !== 'latent') throw new Error('a keypoint distance needs latent-space planning');
  const keypoints = keypointWeight > 0 ? keypointColumns(model) : undefined;
  const failureWeight = options.failureWeight ?? 0;
  const failureLogit = failureWeight > 0 && model.failureLogit ? model.failureLogit.bind(model) : undefined;
  const approachWeight = options.approachWeight ?? 0;
  const approachTarget = approachWeight > 0 && space === 'latent' && scene !== undefined && model.approachTarget ? model.approachTarget.bind(model) : undefined;
  return (candidates: Float32Array, n: number): Float64Array => {
    const total = tf.tidy(() => {
      // The rollout is sequential; everything scored on it is scored once for all steps, since
      // at these sizes the cost is the number of tfjs calls, not the arithmetic.
      const states: tf.Tensor2D[] = [];
      const actions: tf.Tensor2D[] = [];
      const predicted: tf.Tensor2D[] = [];
      let z = tf.tile(z0, [n, 1]) as tf.Tensor2D;
      for (let t = 0; t < horizon; t++) {
        const a = actionsAt(candidates, n, horizon, t);
        states.push(z);
        actions.push(a);
        z = model.predict(z, a);
        predicted.push(z);
      }
      const all = tf.concat(predicted, 0) as tf.Tensor2D;
      const compared = space === 'pixel' ? model.decode!(all) : scene === undefined ? all : tf.slice(all, [0, 0], [horizon * n, scene]) as tf.Tensor2D;
      const target = scene === undefined ? goal : tf.slice(goal, [0, 0], [1, scene]) as tf.Tensor2D;
      // [horizon, n] distances, weighted per step: a NaN stays in its own candidate's column.
      let dist = tf.reshape(rowDistance(compared, target, options.distance), [horizon, n]) as tf.Tensor2D;
      if (keypoints) {
        const { start, size } = keypoints;
        const kp = rowDistance(tf.slice(all, [0, start], [horizon * n, size]) as tf.Tensor2D, tf.slice(goal, [0, start], [1, size]) as tf.Tensor2D, options.distance);
        dist = tf.add(dist, tf.mul(tf.reshape(kp, [horizon, n]), keypointWeight)) as tf.Tensor2D;
      }
      if (approachTarget && scene !== undefined) {
        // `compared` and `target` are already the predicted and the goal scene parts.
        const where = approachTarget(compared, target);
        const body = tf.slice(all, [0, scene], [horizon * n, model.latentDim - scene]);
        const off = tf.sqrt(tf.sum(tf.square(tf.sub(body, where)), 1));
        dist = tf.add(dist, tf.mul(tf.reshape(off, [horizon, n]), approachWeight)) as tf.Tensor2D;
      }
      let acc = tf.reshape(tf.matMul(tf.tensor2d(weights, [1, horizon]), dist), [n]) as tf.Tensor1D;
      if (failureLogit) {
        // P(fail within the horizon) = 1 - prod_t (1 - p_t), p_t = sigmoid(head(z_t, a_t)), with
        // log(1 - sigmoid(x)) = -softplus(x) for stability.
        const logits = failureLogit(tf.concat(states, 0) as tf.Tensor2D, tf.concat(actions, 0) as tf.Tensor2D, all);
        const logSurvive = tf.neg(tf.sum(tf.reshape(tf.softplus(logits), [horizon, n]), 0));
        acc = tf.add(acc, tf.mul(tf.sub(1, tf.exp(logSurvive)), failureWeight)) as tf.Tensor1D;
      }
      return acc;
    });
    const energy = Float64Array.from(total.dataSync());
    total.dispose();
    if (options.actionPenalty > 0) {
      const effort = effortPerCandidate(candidates, n, horizon, bounds);
      for (let i = 0; i < n; i++) energy[i] += options.actionPenalty * effort[i];
    }
    const ratePenalty = options.ratePenalty ?? 0;
    if (ratePenalty > 0) {
      const rate = ratePerCandidate(candidates, n, horizon, bounds, spec.previousAction);
      for (let i = 0; i < n; i++) energy[i] += ratePenalty * rate[i];
    }
    // A NaN anywhere in a row's rollout reaches its total; Infinity too. Both are discarded later.
    return energy;
  };
}

/**
 * Imagined futures of a few sequences for drawing: probe(z_0 .. z_H) per sequence. Returns
 * undefined if the model has no probe outputs.
 */
export function imaginePaths(model: WorldModel, z0: tf.Tensor2D, sequences: Float32Array[],
  horizon: number): Float32Array[] | undefined {
  const n = sequences.length;
  if (n === 0 || model.probeLabels.length === 0) return undefined;
  const flat = new Float32Array(n * horizon * ACTION_DIM);
  sequences.forEach((s, i) => flat.set(s.subarray(0, horizon * ACTION_DIM), i * horizon * ACTION_DIM));
  const probes = tf.tidy(() => {
    let z = tf.tile(z0, [n, 1]) as tf.Tensor2D;
    const steps: tf.Tensor2D[] = [model.probe(z)];
    for (let t = 0; t < horizon; t++) {
      z = model.predict(z, actionsAt(flat, n, horizon, t));
      steps.push(model.probe(z));
    }
    return tf.stack(steps, 1) as tf.Tensor3D; // [n, H+1, P]
  });
  const values = probes.dataSync() as Float32Array;
  const per = values.length / n;
  probes.dispose();
  return Array.from({ length: n }, (_, i) => values.slice(i * per, (i + 1) * per));
}

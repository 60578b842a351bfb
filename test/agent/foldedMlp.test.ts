// The plan-time forward (action normalization folded into the first layer) must compute what the
// layers model computes, refuse networks of another shape, and leak no tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agent/backend.ts';
import { foldMlp } from '../../agent/model/foldedMlp.ts';
import { buildPredictor } from '../../agent/model/predictor.ts';
import { buildFailureHead, FAILURE_INPUTS_CHANGE, failureFeatures } from '../../agent/model/failureHead.ts';
import { actionAffine, normalizeAction } from '../../agent/trainData.ts';

beforeAll(async () => { await initBackend('wasm'); });

const low = [-0.25, -0.25, 0.01];
const high = [0.25, 0.25, 0.26];
const affine = actionAffine({ actionLow: low, actionHigh: high });

/** Give every weight a visible value (the predictor's last layer starts near zero). */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(model.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.3, 'float32', seed + i)));
}

function maxRelDiff(model: tf.LayersModel, forward: (z: tf.Tensor2D, a: tf.Tensor2D) => tf.Tensor2D, zDim: number): number {
  return tf.tidy(() => {
    const z = tf.randomNormal([64, zDim], 0, 1, 'float32', 3) as tf.Tensor2D;
    const a = tf.add(tf.mul(tf.randomUniform([64, 3], 0, 1, 'float32', 4), tf.sub(high, low)), low) as tf.Tensor2D;
    const aNorm = tf.add(tf.mul(a, affine.scale), affine.offset);
    const ref = model.apply([z, aNorm]) as tf.Tensor2D;
    return tf.max(tf.div(tf.abs(tf.sub(ref, forward(z, a))), tf.add(tf.abs(ref), 1))).dataSync()[0];
  });
}

describe('foldMlp', () => {
  it('reproduces the predictor (residual) and the failure head on raw actions', () => {
    const predictor = buildPredictor({ latentDim: 19, actionDim: 3, hidden: 32, layers: 2 }, 'p', 1);
    const head = buildFailureHead(19, 3, 16, 2);
    for (const [net, seed] of [[predictor, 10], [head, 20]] as const) {
      randomizeWeights(net, seed);
      const folded = foldMlp(net, affine);
      expect(folded).toBeDefined();
      expect(maxRelDiff(net, folded!.forward, 19)).toBeLessThan(1e-5);
      tf.dispose(folded!.owned);
      net.dispose();
    }
  });

  it('folds the predicted change of a change-input failure head: (z, a, next) gives head([z, next_S - z_S], a_norm)', () => {
    const D = 11, S = 8;
    const head = buildFailureHead(D + S, 3, 16, 4);
    randomizeWeights(head, 40);
    const folded = foldMlp(head, affine, { latentDim: D, sceneDims: S });
    expect(folded).toBeDefined();
    const d = tf.tidy(() => {
      const z = tf.randomNormal([64, D], 0, 1, 'float32', 6) as tf.Tensor2D;
      const next = tf.add(z, tf.randomNormal([64, D], 0, 0.5, 'float32', 7)) as tf.Tensor2D;
      const a = tf.add(tf.mul(tf.randomUniform([64, 3], 0, 1, 'float32', 8), tf.sub(high, low)), low) as tf.Tensor2D;
      const features = failureFeatures(FAILURE_INPUTS_CHANGE, z, next, S);
      const ref = head.apply([features, tf.add(tf.mul(a, affine.scale), affine.offset)]) as tf.Tensor2D;
      return tf.max(tf.div(tf.abs(tf.sub(ref, folded!.forward(z, a, next))), tf.add(tf.abs(ref), 1))).dataSync()[0];
    });
    expect(d).toBeLessThan(1e-5);
    // Without next it cannot answer, and says so.
    const z1 = tf.zeros([1, D]) as tf.Tensor2D, a1 = tf.zeros([1, 3]) as tf.Tensor2D;
    expect(() => folded!.forward(z1, a1)).toThrow(/pass next = predict\(z, actions\)/);
    // A split that does not add up to the head's input width is declined, not guessed.
    expect(foldMlp(head, affine, { latentDim: D, sceneDims: S - 1 })).toBeUndefined();
    tf.dispose([z1, a1, ...folded!.owned]);
    head.dispose();
  });

  it('sees a fixed action component (low = high) exactly as training normalized it', () => {
    const bounds = { actionLow: [-0.25, -0.25, 0.05], actionHigh: [0.25, 0.25, 0.05] };
    const fixed = actionAffine(bounds);
    const predictor = buildPredictor({ latentDim: 6, actionDim: 3, hidden: 16, layers: 2 }, 'f', 1);
    randomizeWeights(predictor, 30);
    const folded = foldMlp(predictor, fixed)!;
    const raw = [[0.1, -0.2, 0.05], [-0.25, 0.25, 0.05]];
    const aNorm = new Float32Array(6);
    raw.forEach((a, i) => normalizeAction(a, aNorm, i * 3, fixed));
    expect(aNorm[2]).toBe(0);
    expect(aNorm[5]).toBe(0);
    const d = tf.tidy(() => {
      const z = tf.randomNormal([2, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
      const ref = predictor.apply([z, tf.tensor2d(aNorm, [2, 3])]) as tf.Tensor2D;
      return tf.max(tf.abs(tf.sub(ref, folded.forward(z, tf.tensor2d(raw))))).dataSync()[0];
    });
    expect(d).toBeLessThan(1e-5);
    tf.dispose(folded.owned);
    predictor.dispose();
  });

  it('declines a network it does not know how to fold', () => {
    const z = tf.input({ shape: [4] });
    const a = tf.input({ shape: [3] });
    const h = tf.layers.dense({ units: 8, activation: 'tanh' }).apply(tf.layers.concatenate().apply([z, a])) as tf.SymbolicTensor;
    const net = tf.model({ inputs: [z, a], outputs: h });
    expect(foldMlp(net, affine)).toBeUndefined();
    // Wrong action width for the bounds given.
    const p = buildPredictor({ latentDim: 4, actionDim: 3, hidden: 8, layers: 1 }, 'q', 1);
    expect(foldMlp(p, { scale: [1, 1], offset: [0, 0] })).toBeUndefined();
    net.dispose();
    p.dispose();
  });

  it('keeps tf.memory() flat over many calls and frees what it owns', () => {
    const predictor = buildPredictor({ latentDim: 8, actionDim: 3, hidden: 16, layers: 2 }, 'm', 1);
    const before = tf.memory().numTensors;
    const folded = foldMlp(predictor, affine)!;
    const z = tf.zeros([32, 8]) as tf.Tensor2D;
    const a = tf.zeros([32, 3]) as tf.Tensor2D;
    folded.forward(z, a).dispose();
    const steady = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) folded.forward(z, a).dispose();
    expect(tf.memory().numTensors).toBe(steady);
    tf.dispose([z, a, ...folded.owned]);
    expect(tf.memory().numTensors).toBe(before);
    predictor.dispose();
  });
});

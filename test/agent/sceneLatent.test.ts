// The split latent: z = [scene from depth only, body = normalized proprio]. The planner's goal
// distance must see only the scene part, so moving the pusher is never penalised by itself.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEncoder, defaultEncoderConfig, sceneDimsOf } from '../../agent/model/encoder.ts';
import { goalDims, modelCost } from '../../agent/planners/energy.ts';
import { flatBounds } from '../../agent/planners/sampling.ts';
import { learningRateAt, modelConfigFrom, defaultModelOptions } from '../../agent/trainLoop.ts';
import type { WorldModel } from '../../agent/worldModel.ts';
import type { EnvSpec } from '../../sim/types.ts';
import { TOY_BOUNDS } from './plannersToy.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Latent of 5 dims (3 scene + 2 body); the dynamics add the action to the first 3 dims. */
function toyModel(sceneDims?: number): WorldModel {
  return {
    kind: 'jepa', latentDim: 5, obsSize: { width: 2, height: 2 }, probeLabels: [], sceneDims,
    encode: () => { throw new Error('not used'); },
    predict: (z, a) => tf.tidy(() => tf.add(z, tf.pad(a, [[0, 0], [0, 2]])) as tf.Tensor2D),
    probe: (z) => tf.clone(z),
    dispose: () => undefined,
  };
}

function energies(model: WorldModel, z0: number[], goal: number[], candidates: Float32Array, n: number): Float64Array {
  const z0t = tf.tensor2d([z0]);
  const goalT = tf.tensor2d([goal]);
  try {
    const cost = modelCost({
      model, z0: z0t, goal: goalT, space: 'latent', horizon: 2, bounds: flatBounds(TOY_BOUNDS),
      options: { distance: 'l1', actionPenalty: 0 },
    });
    return cost(candidates, n);
  } finally {
    z0t.dispose();
    goalT.dispose();
  }
}

describe('goal energy on a split latent', () => {
  const candidates = Float32Array.from([0, 0, 0.1, 0, 0, 0.1, 0.1, -0.1, 0.1, 0.2, 0.1, 0.1]);

  it('is unchanged when only the body part of the latent differs', () => {
    const model = toyModel(3);
    const before = tf.memory().numTensors;
    const a = energies(model, [0.3, -0.2, 0.5, 0, 0], [0.1, 0.1, 0.1, 0, 0], candidates, 2);
    const b = energies(model, [0.3, -0.2, 0.5, 7, -4], [0.1, 0.1, 0.1, -3, 9], candidates, 2);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(tf.memory().numTensors).toBe(before);
    // ...while the scene part does count: a different goal scene changes the energy.
    const c = energies(model, [0.3, -0.2, 0.5, 0, 0], [0.4, 0.1, 0.1, 0, 0], candidates, 2);
    expect(Math.abs(c[0] - a[0])).toBeGreaterThan(0.01);
  });

  it('counts every dim for a model that does not split its latent', () => {
    const model = toyModel(undefined);
    const a = energies(model, [0.3, -0.2, 0.5, 0, 0], [0.1, 0.1, 0.1, 0, 0], candidates, 2);
    const b = energies(model, [0.3, -0.2, 0.5, 1, 0], [0.1, 0.1, 0.1, 0, 0], candidates, 2);
    expect(b[0]).toBeGreaterThan(a[0] + 0.1);
    expect(goalDims(model)).toBeUndefined();
    expect(goalDims(toyModel(5))).toBeUndefined();
    expect(() => goalDims(toyModel(0))).toThrow(/sceneDims/);
  });
});

describe('split encoder', () => {
  it('passes the proprio through as the body part and keeps it out of the scene part', () => {
    const cfg = { ...defaultEncoderConfig('depth', 16, 16, 3, 11, 3), hidden: 32 };
    expect(sceneDimsOf(cfg)).toBe(8);
    const enc = buildEncoder(cfg, 'enc', 3);
    const before = tf.memory().numTensors;
    const [z1, z2] = tf.tidy(() => {
      const img = tf.randomNormal([4, 256], 0, 1, 'float32', 5) as tf.Tensor2D;
      const v1 = tf.tensor2d([[0.1, 0.2, 0.3], [1, 2, 3], [-1, 0, 1], [0, 0, 0]]);
      const v2 = tf.tensor2d([[5, -5, 2], [0, 0, 0], [3, 3, 3], [-2, 1, 0]]);
      return [enc.apply([img, v1]) as tf.Tensor2D, enc.apply([img, v2]) as tf.Tensor2D];
    });
    const a = z1.arraySync();
    const b = z2.arraySync();
    tf.dispose([z1, z2]);
    expect(tf.memory().numTensors).toBe(before);
    expect(a[1].slice(8)).toEqual([1, 2, 3]);
    expect(b[0].slice(8)).toEqual([5, -5, 2]);
    for (let i = 0; i < 4; i++) {
      expect(a[i].slice(0, 8)).toEqual(b[i].slice(0, 8));
      // the scene part is learned from the image: not all zeros
      expect(Math.max(...a[i].slice(0, 8).map(Math.abs))).toBeGreaterThan(1e-3);
    }
    enc.dispose();
  });

  it('is the training default for depth; the state ablation and --proprio mixed stay unsplit', () => {
    const spec = { obsSize: { width: 16, height: 16 }, stateLabels: ['a', 'b', 'c', 'd'] } as unknown as EnvSpec;
    const split = modelConfigFrom({ ...defaultModelOptions, latent: 20 }, spec);
    expect(split.encoder.bodyDim).toBe(3);
    expect(split.encoder.latentDim).toBe(23);
    expect(split.predictor.latentDim).toBe(23);
    expect(sceneDimsOf(split.encoder)).toBe(20);
    const mixed = modelConfigFrom({ ...defaultModelOptions, latent: 20, proprio: 'mixed' }, spec);
    expect(sceneDimsOf(mixed.encoder)).toBe(mixed.encoder.latentDim);
    const state = modelConfigFrom({ ...defaultModelOptions, latent: 20, obs: 'state' }, spec);
    expect(state.encoder.bodyDim).toBe(0);
  });
});

describe('learning-rate schedule', () => {
  it('decays from lr to lr/10 over the run, monotonically', () => {
    expect(learningRateAt(1e-3, 0, 1000)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(1e-3, 1000, 1000)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(1e-3, 500, 1000)).toBeCloseTo(5.5e-4, 12);
    let prev = Infinity;
    for (let s = 0; s <= 1000; s += 50) {
      const lr = learningRateAt(1e-3, s, 1000);
      expect(lr).toBeLessThanOrEqual(prev);
      prev = lr;
    }
    // a resumed run past its old end stays at the floor
    expect(learningRateAt(1e-3, 1500, 1000)).toBeCloseTo(1e-4, 12);
  });
});

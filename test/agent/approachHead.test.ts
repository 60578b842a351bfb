// The approach head: which frame pairs it learns from, that it learns a body target from [scene,
// goal scene] (held-out R² far above the mean's 0, no tensor left behind), and that the energy's
// approach term pulls a pusher whose goal distance is flat toward the head's answer.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { approachPairs, approachR2, motionThreshold, trainApproachHead, APPROACH_FIT_DEFAULTS } from '../../agent/model/approachHead.ts';
import { modelCost } from '../../agent/planners/energy.ts';
import { resolveSettings } from '../../agent/planners/factory.ts';
import { flatBounds } from '../../agent/planners/sampling.ts';
import type { WorldModel } from '../../agent/worldModel.ts';
import { Rng } from '../../sim/rng.ts';
import { isUserError } from '../../sim/errors.ts';
import { TOY_BOUNDS } from './plannersToy.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('approach pairs', () => {
  // 40 frames, latent [scene 2 | body 1]: the scene stands still except while frames 10..14 move it.
  const frames = 40, D = 3, S = 2;
  const z = new Float32Array(frames * D);
  for (let t = 0; t < frames; t++) {
    const moved = Math.min(Math.max(t - 10, 0), 4) * 0.1;
    z.set([0.5 + moved, -0.2 + moved / 2, t * 0.01], t * D);
  }
  const e = { z, frames };

  it('takes the pairs across which the scene moved, and none where it stood still', () => {
    expect(motionThreshold([e], D, S)).toBe(0);
    const pairs = approachPairs(e, D, S, 0);
    const has = (t: number, g: number) => pairs.some(([a, b]) => a === t && b === g);
    expect(has(8, 12)).toBe(true);
    expect(has(10, 12)).toBe(true);
    expect(has(2, 34)).toBe(true);
    expect(has(0, 2)).toBe(false);
    expect(has(20, 24)).toBe(false);
    expect(has(3, 7)).toBe(false);
    for (const [t, g] of pairs) expect([2, 4, 8, 16, 32]).toContain(g - t);
  });

  it('sets the threshold above the jitter of a scene that barely changes', () => {
    const jitter = Float32Array.from(z, (v, i) => v + (i % 3 === 2 ? 0 : 0.001 * Math.sin(i)));
    const threshold = motionThreshold([{ z: jitter, frames }], D, S);
    expect(threshold).toBeGreaterThan(0);
    const pairs = approachPairs({ z: jitter, frames }, D, S, threshold);
    expect(pairs.some(([t, g]) => t === 0 && g === 2)).toBe(false);
    expect(pairs.some(([t, g]) => t === 8 && g === 12)).toBe(true);
  });
});

describe('approach head fit', () => {
  it('learns the body that goes with a scene and its goal, without leaking tensors', () => {
    // body = scene[0:2] - 0.3 * (goal[0:2] - scene[0:2]): behind the object, opposite the goal.
    const S = 4, B = 2;
    const make = (n: number, seed: number) => {
      const rng = new Rng(seed);
      const x = new Float32Array(n * 2 * S), y = new Float32Array(n * B);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < 2 * S; k++) x[i * 2 * S + k] = rng.uniform(-1, 1);
        for (let k = 0; k < B; k++) y[i * B + k] = x[i * 2 * S + k] - 0.3 * (x[i * 2 * S + S + k] - x[i * 2 * S + k]);
      }
      return { x: { rows: n, cols: 2 * S, data: x }, y: { rows: n, cols: B, data: y } };
    };
    const train = make(2000, 1), val = make(500, 2);
    const before = tf.memory().numTensors;
    const head = trainApproachHead(train.x, train.y, { ...APPROACH_FIT_DEFAULTS, hidden: 32, steps: 600, batch: 128 });
    const r2 = approachR2(head, val.x, val.y);
    head.dispose();
    expect(r2).toBeGreaterThan(0.9);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** Latent [object x, z | pusher x, z]; the pusher moves by its velocity and nothing touches the object. */
function farPusherModel(target?: [number, number]): WorldModel & { targetCalls: number } {
  const m = {
    kind: 'jepa' as const, latentDim: 4, obsSize: { width: 2, height: 2 }, probeLabels: [], sceneDims: 2, targetCalls: 0,
    encode: () => { throw new Error('not used'); },
    predict: (z: tf.Tensor2D, a: tf.Tensor2D) => tf.tidy(() => tf.add(z, tf.pad(tf.mul(tf.slice(a, [0, 0], [-1, 2]), 0.1), [[0, 0], [2, 0]])) as tf.Tensor2D),
    probe: (z: tf.Tensor2D) => tf.clone(z),
    dispose: () => undefined,
  };
  if (!target) return m;
  return Object.assign(m, {
    approachTarget: (scene: tf.Tensor2D) => {
      m.targetCalls += 1;
      return tf.tidy(() => tf.tile(tf.tensor2d([target]), [scene.shape[0], 1]) as tf.Tensor2D);
    },
  });
}

describe('approach term in the energy', () => {
  const bounds = flatBounds(TOY_BOUNDS);
  const hold = (vx: number, vz: number) => Float32Array.from({ length: 15 }, (_, i) => (i % 3 === 0 ? vx : i % 3 === 1 ? vz : 0.1));
  // Toward the head's answer (+x), away from it, and standing still.
  const batch = new Float32Array([...hold(0.2, 0), ...hold(-0.2, 0), ...hold(0, 0)]);
  const energies = (model: WorldModel, approachWeight: number) => {
    const z0 = tf.tensor2d([[0, 0, -0.3, 0]]);
    const goal = tf.tensor2d([[0.2, 0, 0, 0]]);
    try {
      return modelCost({ model, z0, goal, space: 'latent', horizon: 5, bounds, options: { distance: 'l1', actionPenalty: 0, approachWeight } })(batch, 3);
    } finally {
      tf.dispose([z0, goal]);
    }
  };

  it('is flat without the term while the object does not move, and prefers heading for the answer with it', () => {
    const model = farPusherModel([0.3, 0]);
    const before = tf.memory().numTensors;
    const flat = energies(model, 0);
    expect(model.targetCalls).toBe(0);
    expect(flat[0]).toBeCloseTo(flat[1], 9);
    expect(flat[0]).toBeCloseTo(flat[2], 9);
    const pulled = energies(model, 1);
    expect(model.targetCalls).toBe(1);
    expect(pulled[0]).toBeLessThan(pulled[2]);
    expect(pulled[2]).toBeLessThan(pulled[1]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves a model without the head as it was', () => {
    const a = energies(farPusherModel(), 0), b = energies(farPusherModel(), 1);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('rejects a negative or non-finite weight with the flag in the message', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      let err: unknown;
      try { resolveSettings('jepa-cem', { approachWeight: bad }); } catch (e) { err = e; }
      expect(isUserError(err)).toBe(true);
      expect((err as Error).message).toMatch(/--approach-weight/);
    }
  });
});

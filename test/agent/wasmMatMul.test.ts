import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../agent/backend.ts';

// The wasm backend's matmul is re-registered to transpose operands explicitly (agent/wasmMatMul.ts);
// it must give the cpu backend's results for every transpose combination, and leak nothing.
describe('wasm matmul with transposed operands', () => {
  it('matches the cpu backend for all transpose flags, batched and fused, without leaking', async () => {
    const shapes = { a: [3, 5, 7], b: [3, 7, 4] };
    const aVals = Array.from({ length: 105 }, (_, i) => Math.sin(i * 0.37));
    const bVals = Array.from({ length: 84 }, (_, i) => Math.cos(i * 0.21));
    const run = (): number[][] => tf.tidy(() => {
      const a = tf.tensor3d(aVals, shapes.a as [number, number, number]);
      const b = tf.tensor3d(bVals, shapes.b as [number, number, number]);
      const at = tf.transpose(a, [0, 2, 1]), bt = tf.transpose(b, [0, 2, 1]);
      const outs = [
        tf.matMul(a, b), tf.matMul(at, b, true, false), tf.matMul(a, bt, false, true), tf.matMul(at, bt, true, true),
        tf.fused.matMul({ a: at.reshape([3 * 7, 5]).transpose() as tf.Tensor2D, b: tf.tensor2d(bVals.slice(0, 10), [5, 2]), transposeA: true, bias: tf.ones([2]), activation: 'relu' }),
      ];
      return outs.map((o) => Array.from(o.dataSync()));
    });
    await initBackend('cpu');
    const expected = run();
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const got = run();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < expected.length; i++) {
      expect(got[i].length).toBe(expected[i].length);
      for (let j = 0; j < got[i].length; j++) expect(got[i][j]).toBeCloseTo(expected[i][j], 4);
    }
  });
});

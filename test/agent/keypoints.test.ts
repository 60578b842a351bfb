// Spatial-softmax keypoints (`train --keypoints K`): the expected image coordinates of attention
// maps over the depth image. They must follow where the near object is, linearly rather than
// saturating, survive a checkpoint round trip (a layer class of our own), and train on wasm.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../agent/backend.ts';
import { loadWorldModel } from '../../agent/checkpoint.ts';
import { SpatialSoftmax, buildEncoder, defaultEncoderConfig, keypointPool } from '../../agent/model/encoder.ts';
import { disposeNetworks } from '../../agent/model/networks.ts';
import { syntheticData, tinyLoop, trainTiny } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-kp-'));
beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 32x32 normalized depth image: 0 everywhere but a 3x3 patch nearer than usual at (row, col). */
function blobImage(row: number, col: number): Float32Array {
  const img = new Float32Array(32 * 32);
  for (let r = row - 1; r <= row + 1; r++) for (let c = col - 1; c <= col + 1; c++) img[r * 32 + c] = -4;
  return img;
}

describe('spatial-softmax keypoints', () => {
  it('place a near blob at its image coordinates, moving linearly with it', () => {
    expect(keypointPool(32, 32)).toBe(2);
    expect(keypointPool(16, 16)).toBe(1);
    expect(keypointPool(64, 64)).toBe(4);
    const layer = new SpatialSoftmax({ keypoints: 2, height: 32, width: 32, seed: 1 });
    const cols = [4, 8, 12, 16, 20, 24, 28];
    const out = tf.tidy(() => {
      const x = tf.tensor2d(cols.flatMap((c) => Array.from(blobImage(10, c))), [cols.length, 32 * 32]);
      layer.apply(x); // builds the layer
      layer.setWeights([tf.tensor1d([-8, -8])]);
      return (layer.apply(x) as tf.Tensor2D).arraySync();
    });
    expect(out[0]).toHaveLength(4);
    const centre = (px: number) => ((px + 0.5) / 32) * 2 - 1;
    out.forEach((row, i) => {
      // Both maps find the blob to within one pooled pixel (2/16 of the -1..1 span).
      for (const k of [0, 1]) {
        expect(Math.abs(row[2 * k] - centre(cols[i]))).toBeLessThan(0.125);
        expect(Math.abs(row[2 * k + 1] - centre(10))).toBeLessThan(0.125);
      }
    });
    // Equal steps of the blob give equal steps of x: no saturation far from any reference point.
    const steps = out.slice(1).map((row, i) => row[0] - out[i][0]);
    for (const s of steps) expect(s).toBeCloseTo(steps[0], 2);
    layer.dispose();
  });

  it('refuses configurations it cannot serve', () => {
    expect(() => buildEncoder({ ...defaultEncoderConfig('depth', 16, 16, 6, 19, 0, 2, 2) }, 'e', 1)).toThrow(/one frame/);
    expect(() => buildEncoder({ ...defaultEncoderConfig('depth', 16, 16, 3, 11, 3, 1, 4) }, 'e', 1)).toThrow(/2K < scene dims/);
  });

  it('train on wasm (the sharpness gets a gradient), round-trip through a checkpoint exactly, and leave no tensors behind', async () => {
    const data = syntheticData(8, 5);
    const before = tf.memory().numTensors;
    const out = join(dir, 'kp');
    const r = await trainTiny(out, data, { keypoints: 2 }, { steps: 30, evalEvery: 30 });
    const scale = r.nets.encoder.getLayer('encoder_kp').getWeights()[0].dataSync();
    // Initialized in -3..-1 from the loop's seed (tinyLoop's); training moved it.
    const fresh = buildEncoder(r.config.encoder, 'fresh', tinyLoop.seed);
    const init = fresh.getLayer('fresh_kp').getWeights()[0].dataSync();
    expect(Array.from(scale)).not.toEqual(Array.from(init));
    fresh.dispose();
    expect(r.config.encoder.keypoints).toBe(2);
    const m = await loadWorldModel(out);
    expect(m.sceneDims).toBe(16);
    const hw = 16 * 16;
    const ep = data.episodes[0];
    const frames = [0, 4].map((t) => ({ depth: ep.depth.slice(t * hw, (t + 1) * hw), proprio: ep.proprio.slice(t * 3, t * 3 + 3) }));
    const z = m.encode(frames.map((f) => f.depth), frames.map((f) => f.proprio));
    const m2 = await loadWorldModel(out);
    const z2 = m2.encode(frames.map((f) => f.depth), frames.map((f) => f.proprio));
    expect(z.shape).toEqual([2, 19]);
    expect(Array.from(z2.dataSync())).toEqual(Array.from(z.dataSync()));
    expect(Array.from(z.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([z, z2]);
    m.dispose();
    m2.dispose();
    disposeNetworks(r.nets);
    expect(tf.memory().numTensors).toBe(before);
  });
});

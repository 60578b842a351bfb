// No tensor leaks: the number of live tensors is the same after 5 and after 25 training steps
// (with validation and a checkpoint in between), and after loading and using a model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../agent/backend.ts';
import { loadWorldModel } from '../../agent/checkpoint.ts';
import { trainStep } from '../../agent/model/jepa.ts';
import { buildNetworks, disposeNetworks } from '../../agent/model/networks.ts';
import { Rng } from '../../sim/rng.ts';
import { computeNormalization, EpisodeSet, sampleWindows } from '../../agent/trainData.ts';
import { modelConfigFrom } from '../../agent/trainLoop.ts';
import { syntheticData, tinyModel, trainTiny } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-mem-'));
const data = syntheticData(6, 11);

beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tensor memory', () => {
  it('stays flat over many training steps for every objective', () => {
    for (const [model, reg, target, keypoints] of [['jepa', 'vicreg', 'ema', 0], ['jepa', 'sigreg', 'stopgrad', 0], ['generative', 'none', 'stopgrad', 0], ['jepa', 'vicreg', 'stopgrad', 2]] as const) {
      const cfg = modelConfigFrom({ ...tinyModel, model, reg, target, keypoints }, data.spec);
      const set = new EpisodeSet(data.episodes, data.spec);
      const norm = computeNormalization(data.episodes, data.spec);
      const pool = set.windows([0, 1, 2, 3, 4, 5], cfg.k);
      const nets = buildNetworks(cfg, 1);
      const opt = tf.train.adam(1e-3);
      const rng = new Rng(2);
      const step = (i: number) => trainStep(nets, cfg, set.batch(sampleWindows(pool, 8, rng), cfg.k, cfg.obs, norm, model === 'generative'), opt, i);
      for (let i = 0; i < 5; i++) step(i); // the optimizer creates its slots here
      const after5 = tf.memory().numTensors;
      for (let i = 5; i < 25; i++) step(i);
      expect(tf.memory().numTensors, `${model}/${reg}/${target}/keypoints ${keypoints}`).toBe(after5);
      opt.dispose();
      disposeNetworks(nets);
    }
  });

  it('a whole training run and a loaded model leave nothing behind', async () => {
    const before = tf.memory().numTensors;
    const r = await trainTiny(join(dir, 'm'), data, {}, { steps: 6, evalEvery: 3 });
    disposeNetworks(r.nets);
    expect(tf.memory().numTensors).toBe(before);
    const m = await loadWorldModel(join(dir, 'm'));
    const loaded = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      const z = m.encode([data.episodes[0].depth.slice(0, 256)], [data.episodes[0].proprio.slice(0, 3)]);
      const a = tf.tensor2d([[0.1, 0, 0.05]]);
      const n = m.predict(z, a);
      const p = m.probe(n);
      tf.dispose([z, a, n, p]);
    }
    expect(tf.memory().numTensors).toBe(loaded);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

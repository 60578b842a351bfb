// The same batch gives the same loss and gradients on the cpu (reference) and wasm backends, for
// both regularizers and for the generative baseline: the wasm kernels we train with are correct.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agent/backend.ts';
import { computeGradients } from '../../agent/model/jepa.ts';
import { buildNetworks, disposeNetworks } from '../../agent/model/networks.ts';
import { Rng } from '../../sim/rng.ts';
import { computeNormalization, EpisodeSet, sampleWindows } from '../../agent/trainData.ts';
import { modelConfigFrom } from '../../agent/trainLoop.ts';
import { syntheticData, tinyModel } from './helpers.ts';

const data = syntheticData(6, 9);

/** Gradients in variable order (tfjs suffixes names of later-built networks, so names differ). */
function gradsOn(kind: 'jepa' | 'generative', reg: 'vicreg' | 'sigreg', keypoints: number): { terms: number[]; grads: Float32Array[] } {
  const cfg = modelConfigFrom({ ...tinyModel, model: kind, reg, keypoints }, data.spec);
  const set = new EpisodeSet(data.episodes, data.spec);
  const norm = computeNormalization(data.episodes, data.spec);
  const batch = set.batch(sampleWindows(set.windows([0, 1, 2, 3, 4, 5], cfg.k), 16, new Rng(4)), cfg.k, cfg.obs, norm, kind === 'generative');
  const nets = buildNetworks(cfg, 7);
  const { terms, grads } = computeGradients(nets, cfg, batch, 3);
  const out = Object.values(grads).map((g) => g.dataSync() as Float32Array);
  tf.dispose(grads);
  disposeNetworks(nets);
  return { terms, grads: out };
}

describe('gradient parity cpu vs wasm', () => {
  it('matches loss terms and every gradient to float32 tolerance', async () => {
    for (const [kind, reg, keypoints] of [['jepa', 'vicreg', 0], ['jepa', 'sigreg', 0], ['generative', 'vicreg', 0], ['jepa', 'vicreg', 2]] as const) {
      await initBackend('cpu');
      const ref = gradsOn(kind, reg, keypoints);
      await initBackend('wasm');
      const got = gradsOn(kind, reg, keypoints);
      expect(got.terms.length).toBe(ref.terms.length);
      got.terms.forEach((t, i) => expect(Math.abs(t - ref.terms[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.terms[i]))));
      expect(got.grads.map((g) => g.length)).toEqual(ref.grads.map((g) => g.length));
      let nonZero = 0;
      for (const [v, g] of ref.grads.entries()) {
        const w = got.grads[v];
        let maxAbs = 0, maxDiff = 0;
        for (let i = 0; i < g.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(g[i])); maxDiff = Math.max(maxDiff, Math.abs(g[i] - w[i])); }
        if (maxAbs > 0) nonZero++;
        expect(maxDiff, `${kind}/${reg}/keypoints ${keypoints} variable ${v}`).toBeLessThanOrEqual(1e-3 * maxAbs + 1e-6);
      }
      // Every network receives gradient (nothing silently detached).
      expect(nonZero).toBe(ref.grads.length);
    }
  });
});

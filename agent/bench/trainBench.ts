// `npm run bench:train`: training throughput (samples/s) and achieved GFLOP/s of the train step,
// next to plain matmul GFLOP/s measured in the same process on the same backend, so the ratio
// says how much of the backend's dense-math speed the model actually uses.
// Uses synthetic episodes of the default observation size, so it needs no dataset file.
// Flags: --backend wasm|cpu|auto|tensorflow  --batch N  --steps N  --obs-size N  --model jepa|generative
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { initBackend, type BackendChoice } from '../backend.ts';
import { framesOf } from '../model/encoder.ts';
import { trainStep } from '../model/jepa.ts';
import { buildNetworks, disposeNetworks, trainWindowMacs } from '../model/networks.ts';
import { Rng } from '../../sim/rng.ts';
import { computeNormalization, EpisodeSet, sampleWindows } from '../trainData.ts';
import { defaultModelOptions, modelConfigFrom } from '../trainLoop.ts';
import { syntheticEpisodes, syntheticSpec } from './syntheticEpisodes.ts';

export function matmulGflops(n: number, reps: number): number {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  // Not tf.tidy(() => c.dataSync()): tidy walks a returned typed array element by element,
  // which once made this figure 15x too low.
  const once = (): void => { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); };
  once();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) once();
  const s = (performance.now() - t0) / 1000;
  a.dispose();
  b.dispose();
  return (2 * n * n * n * reps) / s / 1e9;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'wasm' }, batch: { type: 'string', default: '128' }, steps: { type: 'string', default: '20' },
      'obs-size': { type: 'string', default: '32' }, model: { type: 'string', default: 'jepa' },
    },
  });
  const backend = await initBackend(values.backend as BackendChoice, (s) => console.log(s));
  const batch = Number(values.batch), steps = Number(values.steps), size = Number(values['obs-size']);
  const spec = syntheticSpec(size, 40);
  const episodes = syntheticEpisodes(32, 1, spec);
  const set = new EpisodeSet(episodes, spec);
  const cfg = modelConfigFrom({ ...defaultModelOptions, model: values.model as 'jepa' }, spec);
  const norm = computeNormalization(episodes, spec);
  const pool = set.windows(episodes.map((_, i) => i), cfg.k);
  const nets = buildNetworks(cfg, 1);
  const opt = tf.train.adam(1e-3);
  const rng = new Rng(1);
  const batches = Array.from({ length: 4 }, () => set.batch(sampleWindows(pool, batch, rng), cfg.k, cfg.obs, norm, cfg.kind === 'generative', framesOf(cfg.encoder)));
  const mm1 = matmulGflops(512, 10);
  for (let i = 0; i < 3; i++) trainStep(nets, cfg, batches[i % 4], opt, i); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainStep(nets, cfg, batches[i % 4], opt, i);
  const s = (performance.now() - t0) / 1000;
  const mm2 = matmulGflops(512, 10);
  const sps = (steps * batch) / s;
  // Backward costs about twice the forward pass: 3 x forward MACs x 2 FLOPs per MAC.
  const flopsPerSample = 6 * trainWindowMacs(cfg);
  const gflops = (sps * flopsPerSample) / 1e9;
  const mm = (mm1 + mm2) / 2;
  console.log(JSON.stringify({ backend, model: cfg.kind, obsSize: size, batch, k: cfg.k, steps, seconds: +s.toFixed(2) }));
  console.log(`train step: ${sps.toFixed(0)} samples/s (windows of ${cfg.k + 1} frames), ${(s / steps * 1000).toFixed(1)} ms/step, ` +
    `${(flopsPerSample / 1e6).toFixed(1)} MFLOP/sample -> ${gflops.toFixed(2)} GFLOP/s`);
  console.log(`matmul 512x512: ${mm.toFixed(2)} GFLOP/s (before ${mm1.toFixed(2)}, after ${mm2.toFixed(2)})`);
  console.log(`train step / matmul: ${((100 * gflops) / mm).toFixed(0)}% (target >= 25% on wasm)`);
  opt.dispose();
  disposeNetworks(nets);
}

await main();

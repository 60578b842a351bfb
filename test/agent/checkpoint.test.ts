// A checkpoint saved and loaded gives identical outputs; damaged or missing checkpoints are clear
// UserErrors naming the problem, not tfjs stack traces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../agent/backend.ts';
import { loadWorldModel } from '../../agent/checkpoint.ts';
import { applyEncoder } from '../../agent/model/encoder.ts';
import { disposeNetworks } from '../../agent/model/networks.ts';
import { writeDepth } from '../../agent/trainData.ts';
import { isUserError } from '../../sim/errors.ts';
import { syntheticData, tinyLoop, tinyModel, trainTiny } from './helpers.ts';
import { trainLoop } from '../../agent/trainLoop.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-ckpt-'));
const data = syntheticData(8, 5);
const ep = data.episodes[0];
const hw = 16 * 16;
const frames = [0, 3, 7].map((t) => ({ depth: ep.depth.slice(t * hw, (t + 1) * hw), proprio: ep.proprio.slice(t * 3, t * 3 + 3) }));

beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectUserError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(isUserError(e), `expected a UserError, got ${String(e)}`).toBe(true);
  expect((e as Error).message).toMatch(pattern);
}

describe('checkpoint', () => {
  it('round-trips: the loaded model reproduces the trained networks exactly', async () => {
    for (const kind of ['jepa', 'generative'] as const) {
      const out = join(dir, kind);
      const r = await trainTiny(out, data, { model: kind }, { steps: 10, evalEvery: 10 });
      for (const f of ['config.json', 'metrics.jsonl', 'training.svg', 'encoder/model.json', 'encoder/weights.bin', 'predictor/weights.bin', 'probe/model.json']) {
        expect(existsSync(join(out, f)), f).toBe(true);
      }
      const m = await loadWorldModel(out);
      expect(m.kind).toBe(kind);
      // 16 learned scene dims + the 3 proprio (body) dims of the default split latent
      expect(m.latentDim).toBe(19);
      expect(m.sceneDims).toBe(16);
      expect(m.probeLabels).toEqual(['bottle_x', 'bottle_z', 'tilt']);
      const z = m.encode(frames.map((f) => f.depth), frames.map((f) => f.proprio));
      // The same inputs through the in-memory networks, normalized the way training did.
      const n = r.normalization;
      const vec = tf.tensor2d(frames.flatMap((f) => [0, 1, 2].map((j) => (f.proprio[j] - n.proprioMean[j]) / n.proprioStd[j])), [3, 3]);
      const imgData = new Float32Array(3 * hw);
      frames.forEach((f, i) => writeDepth(f.depth, n, imgData, i * hw));
      const img = tf.tensor2d(imgData, [3, hw]);
      const zRef = applyEncoder(r.nets.encoder, 'depth', img, vec);
      expect(Array.from(z.dataSync())).toEqual(Array.from(zRef.dataSync()));
      const raw = tf.tensor2d([[0.1, -0.2, 0.05], [0, 0, 0.1], [-0.3, 0.3, 0.02]]);
      const aNorm = tf.tensor2d([0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => 2 * (raw.arraySync()[i][j] - n.actionLow[j]) / (n.actionHigh[j] - n.actionLow[j]) - 1)), [3, 3]);
      const next = m.predict(z, raw);
      const nextRef = r.nets.predictor.apply([zRef, aNorm]) as tf.Tensor2D;
      const d = tf.max(tf.abs(tf.sub(next, nextRef))).dataSync()[0];
      expect(d).toBeLessThan(1e-5);
      expect(m.probe(z).shape).toEqual([3, 3]);
      if (kind === 'generative') {
        expect(m.decode).toBeDefined();
        const img2 = m.decode?.(z) as tf.Tensor2D;
        expect(img2.shape).toEqual([3, hw]);
        img2.dispose();
      } else {
        expect(m.decode).toBeUndefined();
        // The approach head comes back as it was fitted: [scene, goal scene] -> body.
        expect(r.nets.approach, 'the tiny JEPA fits an approach head').toBeDefined();
        const scene = tf.slice(z, [0, 0], [3, 16]) as tf.Tensor2D;
        const goalScene = tf.slice(z, [2, 0], [1, 16]) as tf.Tensor2D;
        const body = m.approachTarget?.(scene, goalScene) as tf.Tensor2D;
        const bodyRef = r.nets.approach!.apply(tf.concat([scene, tf.tile(goalScene, [3, 1])], 1)) as tf.Tensor2D;
        expect(body.shape).toEqual([3, 3]);
        expect(tf.max(tf.abs(tf.sub(body, bodyRef))).dataSync()[0]).toBeLessThan(1e-6);
        tf.dispose([scene, goalScene, body, bodyRef]);
      }
      // Two loads of the same folder agree bit for bit.
      const m2 = await loadWorldModel(out);
      const z2 = m2.encode(frames.map((f) => f.depth), frames.map((f) => f.proprio));
      expect(Array.from(z2.dataSync())).toEqual(Array.from(z.dataSync()));
      tf.dispose([z, z2, vec, img, zRef, raw, aNorm, next, nextRef]);
      m.dispose();
      m2.dispose();
      disposeNetworks(r.nets);
    }
  });

  it('stops on a non-finite loss with a clear message and keeps the last good checkpoint', async () => {
    const out = join(dir, 'nan');
    let poisoned = false;
    const run = trainLoop({ out, episodes: data.episodes, spec: data.spec, data: { path: 'memory', sha256: 'none', episodes: 8 }, backend: 'test', commandLine: 'test' },
      tinyModel, { ...tinyLoop, steps: 8, evalEvery: 2 }, {
        onStep: (step, _terms, _sps, nets) => {
          if (step !== 3 || !nets) return;
          // Simulate a blow-up: one weight becomes NaN after the step-2 checkpoint.
          const dense = nets.predictor.layers.find((l) => l.getWeights().length === 2);
          if (!dense) throw new Error('the predictor has no dense layer');
          const [kernel, bias] = dense.getWeights();
          const bad = tf.fill(kernel.shape, Number.NaN);
          dense.setWeights([bad, bias]);
          bad.dispose();
          poisoned = true;
        },
      });
    await expectUserError(run, /training diverged at step 4: the loss is NaN.*last good checkpoint \(step 2\)/);
    expect(poisoned).toBe(true);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.training.step).toBe(2);
    const m = await loadWorldModel(out);
    const z = m.encode([frames[0].depth], [frames[0].proprio]);
    expect(Array.from(z.dataSync()).every(Number.isFinite)).toBe(true);
    z.dispose();
    m.dispose();
  });

  it('rejects missing, corrupt, truncated, wrong-version and foreign checkpoints with clear errors', async () => {
    const good = join(dir, 'jepa');
    await expectUserError(loadWorldModel(join(dir, 'nope')), /does not exist/);
    const flipped = join(dir, 'flipped');
    cpSync(good, flipped, { recursive: true });
    const bin = readFileSync(join(flipped, 'predictor/weights.bin'));
    bin[10] ^= 0xff;
    writeFileSync(join(flipped, 'predictor/weights.bin'), bin);
    await expectUserError(loadWorldModel(flipped), /predictor.*corrupt/);
    const truncated = join(dir, 'truncated');
    cpSync(good, truncated, { recursive: true });
    writeFileSync(join(truncated, 'config.json'), readFileSync(join(good, 'config.json'), 'utf8').slice(0, 200));
    await expectUserError(loadWorldModel(truncated), /config\.json is not valid JSON/);
    const missing = join(dir, 'missing');
    cpSync(good, missing, { recursive: true });
    rmSync(join(missing, 'encoder/weights.bin'));
    await expectUserError(loadWorldModel(missing), /encoder.*missing/);
    for (const [name, edit, pattern] of [
      ['v99', (c: Record<string, unknown>) => ({ ...c, version: 99 }), /format version 99; this program reads version 1/],
      ['other', (c: Record<string, unknown>) => ({ ...c, format: 'keras' }), /config\.json is not a jepa-mpc checkpoint config/],
    ] as const) {
      const bad = join(dir, name);
      cpSync(good, bad, { recursive: true });
      writeFileSync(join(bad, 'config.json'), JSON.stringify(edit(JSON.parse(readFileSync(join(good, 'config.json'), 'utf8')))));
      await expectUserError(loadWorldModel(bad), pattern);
    }
  });
});

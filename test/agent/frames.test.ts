// Two-frame encoders (`train --frames 2`): every observation is paired with the one a step before
// it, so the latent can carry velocities. The pairing must be the same in training batches, in a
// loaded model's encode() and in the MPC loop, and the first frame of an episode counts as at rest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorldModel } from '../../agent/checkpoint.ts';
import { MpcEpisode } from '../../agent/mpc.ts';
import type { PlanCallOptions, Planner, PlanResult } from '../../agent/planners/types.ts';
import { computeNormalization, EpisodeSet, writeDepth } from '../../agent/trainData.ts';
import type { Observation } from '../../sim/types.ts';
import { syntheticData, trainTiny } from './helpers.ts';
import { PointEnv } from './plannersToy.ts';

const dirs: string[] = [];
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('two-frame training batches', () => {
  const data = syntheticData(6, 11);
  const set = new EpisodeSet(data.episodes, data.spec);
  const norm = computeNormalization(data.episodes, data.spec);
  const hw = set.hw;
  const normalized = (ep: number, f: number): Float32Array => {
    const out = new Float32Array(hw);
    writeDepth(data.episodes[ep].depth.subarray(f * hw, (f + 1) * hw), norm, out, 0);
    return out;
  };

  it('puts the current frame first and the one before it second; an episode start repeats itself', () => {
    const refs = [{ episode: 1, start: 0 }, { episode: 2, start: 3 }];
    const b = set.batch(refs, 1, 'depth', norm, false, 2);
    const B = refs.length;
    const row = (t: number, w: number) => b.depth!.subarray((t * B + w) * 2 * hw, (t * B + w + 1) * 2 * hw);
    // Window 0, frame 0: the episode's first frame, paired with itself.
    expect(Array.from(row(0, 0).subarray(0, hw))).toEqual(Array.from(normalized(1, 0)));
    expect(Array.from(row(0, 0).subarray(hw))).toEqual(Array.from(normalized(1, 0)));
    // Window 1, frame 1 (episode frame 4): paired with episode frame 3.
    expect(Array.from(row(1, 1).subarray(0, hw))).toEqual(Array.from(normalized(2, 4)));
    expect(Array.from(row(1, 1).subarray(hw))).toEqual(Array.from(normalized(2, 3)));
    expect(Array.from(row(1, 1).subarray(0, hw))).not.toEqual(Array.from(row(1, 1).subarray(hw)));
  });

  it('appends the normalized change of proprio to the vector input', () => {
    const b = set.batch([{ episode: 2, start: 3 }], 1, 'depth', norm, false, 2);
    expect(b.vec.length).toBe(2 * 6);
    const p = data.episodes[2].proprio;
    for (let j = 0; j < 3; j++) {
      expect(b.vec[6 + j]).toBeCloseTo((p[12 + j] - norm.proprioMean[j]) / norm.proprioStd[j], 5);
      expect(b.vec[6 + 3 + j]).toBeCloseTo((p[12 + j] - p[9 + j] - norm.proprioDeltaMean![j]) / norm.proprioDeltaStd![j], 5);
    }
    // One frame: no delta, and the image rows are single frames.
    const one = set.batch([{ episode: 2, start: 3 }], 1, 'depth', norm, false, 1);
    expect(one.vec.length).toBe(2 * 3);
    expect(one.depth!.length).toBe(2 * hw);
  });
});

describe('a loaded two-frame model', () => {
  it('reads the previous frame; without one it treats the scene as at rest', async () => {
    const out = mkdtempSync(join(tmpdir(), 'jepa-frames-'));
    dirs.push(out);
    const data = syntheticData(12, 5);
    await trainTiny(out, data, { frames: 2 }, { steps: 20, evalEvery: 20 });
    const m = await loadWorldModel(out);
    try {
      expect(m.frames).toBe(2);
      const hw = m.obsSize.width * m.obsSize.height;
      const ep = data.episodes[0];
      const frame = (f: number) => ({ depth: ep.depth.slice(f * hw, (f + 1) * hw), proprio: ep.proprio.slice(f * 3, f * 3 + 3) });
      const [a, b] = [frame(3), frame(2)];
      const before = tf.memory().numTensors;
      const atRest = m.encode([a.depth], [a.proprio]);
      const selfPaired = m.encode([a.depth], [a.proprio], undefined, { depth: [a.depth], proprio: [a.proprio] });
      const moving = m.encode([a.depth], [a.proprio], undefined, { depth: [b.depth], proprio: [b.proprio] });
      expect(Array.from(atRest.dataSync())).toEqual(Array.from(selfPaired.dataSync()));
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(moving, atRest))).dataSync()[0]);
      expect(diff).toBeGreaterThan(1e-4);
      tf.dispose([atRest, selfPaired, moving]);
      expect(tf.memory().numTensors).toBe(before);
      expect(() => m.encode([a.depth], [a.proprio], undefined, { depth: [], proprio: [] })).toThrow(/previous/);
    } finally {
      m.dispose();
    }
  });
});

describe('the MPC loop', () => {
  it('hands the planner the observation one step before the current one', () => {
    const env = new PointEnv(0.001);
    const seen: (PlanCallOptions | undefined)[] = [];
    const observed: Observation[] = [];
    const planner: Planner = {
      name: 'random',
      begin: () => undefined,
      plan(observation: Observation, options?: PlanCallOptions): PlanResult {
        seen.push(options);
        observed.push(observation);
        return {
          planner: 'random', horizon: 1, actions: Float32Array.from([0.1, 0, 0.05]), energy: 0, elites: [], eliteEnergies: [],
          energyPerIteration: [], discarded: 0, planningMs: 0,
        };
      },
      advance: () => undefined,
      dispose: () => undefined,
    };
    const ep = new MpcEpisode(env, planner, 4, 4);
    for (let i = 0; i < 3 && !ep.done; i++) ep.next();
    expect(seen[0]?.previous).toBeUndefined();
    expect(seen[1]?.previous).toBe(observed[0]);
    expect(seen[2]?.previous).toBe(observed[1]);
  });
});

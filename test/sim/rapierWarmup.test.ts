import { describe, expect, it } from 'vitest';
import { runEpisodePool } from '../../sim/collectPool.ts';
import { Env } from '../../sim/env.ts';
import { warmUpRapier } from '../../sim/rapierWarmup.ts';
import { deriveSeed } from '../../sim/rng.ts';
import { rollout } from '../../sim/rollout.ts';
import { loadTask } from '../../sim/tasks/registry.ts';
import type { EpisodeData } from '../../sim/types.ts';

// The warm-up swaps the machine code Rapier runs on (baseline -> optimizing compiler) and flips
// process-wide V8 flags; episodes must not notice, in this thread or in pool workers.
describe('Rapier warm-up', () => {
  it('leaves episodes bit-identical, in-process and through a warmed worker pool', async () => {
    const task = await loadTask('fragile');
    const seeds = [deriveSeed(11, 0), deriveSeed(11, 1), deriveSeed(11, 2)];
    const env = await Env.create({ task, obsSize: 16 });
    const before = seeds.map((s) => rollout(env, s).episode);

    const report = await warmUpRapier(task);
    expect(report.transitions).toBeGreaterThan(100);
    expect(await warmUpRapier(task)).toBe(report);

    const after = seeds.map((s) => rollout(env, s).episode);
    env.free();
    expect(after).toEqual(before);

    const pooled: EpisodeData[] = [];
    const run = await runEpisodePool({ task: 'fragile', obsSize: 16, renderDepth: true, workers: 2, warmUp: true }, seeds, (i, r) => {
      pooled[i] = r.episode;
    });
    expect(run.interrupted).toBe(false);
    expect(pooled).toEqual(before);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '../../sim/env.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { BOTTLE_HALF_HEIGHT } from '../../sim/tasks/bottle.ts';
import { hold, stage } from './scripted.ts';

let env: Env;
beforeAll(async () => {
  env = await Env.create({ task: builtinTasks.tip });
});
afterAll(() => env.free());

describe('DepthCamera', () => {
  it('renders values in 0..1 with the bottle nearer than the table behind it', () => {
    const o = env.reset(4);
    expect(o.depth.length).toBe(32 * 32);
    expect(o.depth.every((v) => v >= 0 && v <= 1)).toBe(true);
    const cam = env.depthCamera;
    const [bx, , bz] = o.state;
    // The bottle's middle, and the table point the same pixel would show without the bottle.
    const [row, col] = cam.project([bx, BOTTLE_HALF_HEIGHT, bz]).map(Math.round);
    const p = row * 32 + col;
    const empty = cam.background(env.physics);
    expect(o.depth[p]).toBeLessThan(empty[p] - 0.05);
    // A 7 cm bottle spans several pixels: count pixels clearly nearer than the bare table.
    const nearer = o.depth.filter((v, i) => v < empty[i] - 0.02).length;
    expect(nearer).toBeGreaterThanOrEqual(12);
  });

  it('cached rendering equals casting every ray, through pushes, tipping and a burst', () => {
    const rng = new Rng(17);
    let compared = 0;
    for (let ep = 0; ep < 2; ep++) {
      env.reset(30 + ep);
      for (let t = 0; t < 15 && !env.isDone; t++) {
        const r = env.step([rng.uniform(-0.25, 0.25), rng.uniform(-0.25, 0.25), rng.uniform(0.015, 0.2)]);
        const brute = env.depthCamera.renderBruteForce(env.physics);
        expect(Array.from(r.observation.depth)).toEqual(Array.from(brute));
        compared++;
      }
    }
    // Scripted tip, then a press from above (fragments on screen).
    stage(env, 2, [0, 0], [-0.07, 0.16, 0]);
    env.setGoal(Float32Array.from([1, 0]));
    for (let t = 0; t < 30 && !env.isDone; t++) {
      const r = env.step([0.1, 0, 0.16]);
      expect(Array.from(r.observation.depth)).toEqual(Array.from(env.depthCamera.renderBruteForce(env.physics)));
      compared++;
    }
    expect(env.outcome().kind).toBe('success');
    stage(env, 2, [0.05, 0.05], [0.05, 0.26, 0.05]);
    const burst = hold(env, [0, 0, 0.15], 3);
    expect(burst[burst.length - 1].info.burst).toBe(true);
    expect(Array.from(env.observe().depth)).toEqual(Array.from(env.depthCamera.renderBruteForce(env.physics)));
    expect(compared).toBeGreaterThan(20);
    // The cache is the point: far fewer rays than pixels.
    env.reset(1);
    env.step([0, 0, 0.1]);
    expect(env.depthCamera.lastRayCount).toBeLessThan(32 * 32 * 0.3);
  });

  it('honours obsSize and renders the goal without the pusher', async () => {
    const small = await Env.create({ task: builtinTasks.slide, obsSize: 12 });
    try {
      const o = small.reset(1);
      expect(o.depth.length).toBe(144);
      expect(small.spec.obsSize).toEqual({ width: 12, height: 12 });
      const g = small.goalObservation();
      expect(g.depth.length).toBe(144);
      expect(g.depth.every((v) => v >= 0 && v <= 1)).toBe(true);
    } finally {
      small.free();
    }
    await expect(Env.create({ task: builtinTasks.slide, obsSize: 0 })).rejects.toThrow(/observation size/);
  });
});


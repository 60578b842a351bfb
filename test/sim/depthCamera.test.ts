import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraProjection } from '../../sim/cameraGeometry.ts';
import { DepthCamera, defaultCameraSpec } from '../../sim/depthCamera.ts';
import { Env } from '../../sim/env.ts';
import { Scene } from '../../sim/scene.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { BOTTLE_HALF_HEIGHT } from '../../sim/tasks/bottle.ts';
import type { CameraSpec } from '../../sim/types.ts';
import { hold, stage } from './scripted.ts';

let env: Env;
beforeAll(async () => {
  env = await Env.create({ task: builtinTasks.tip });
});
afterAll(() => env.free());

/** One world ray cast per pixel, with the pusher shown or hidden as the environment's camera. */
const bruteForce = (): Float32Array => env.depthCamera.renderBruteForce(env.physics);

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
        const brute = bruteForce();
        expect(Array.from(r.observation.depth)).toEqual(Array.from(brute));
        compared++;
      }
    }
    // Scripted tip, then a press from above (fragments on screen).
    stage(env, 2, [0, 0], [-0.07, 0.16, 0]);
    env.setGoal(Float32Array.from([1, 0]));
    for (let t = 0; t < 30 && !env.isDone; t++) {
      const r = env.step([0.1, 0, 0.16]);
      expect(Array.from(r.observation.depth)).toEqual(Array.from(bruteForce()));
      compared++;
    }
    expect(env.outcome().kind).toBe('success');
    stage(env, 2, [0.05, 0.05], [0.05, 0.26, 0.05]);
    const burst = hold(env, [0, 0, 0.15], 3);
    expect(burst[burst.length - 1].info.burst).toBe(true);
    expect(Array.from(env.observe().depth)).toEqual(Array.from(bruteForce()));
    expect(compared).toBeGreaterThan(20);
    // The cache is the point: far fewer rays than pixels.
    env.reset(1);
    env.step([0, 0, 0.1]);
    expect(env.depthCamera.lastRayCount).toBeLessThan(32 * 32 * 0.3);
  });

  it('skipped rays and reused hits stay exact for spinning spheres, cylinders and boxes, and resting ones', () => {
    // Bodies dropped spinning near the camera's view centre, then left to settle: the per-shape
    // ray bounds meet rotated shapes, and the per-body reuse meets bodies that stop moving.
    const scene = new Scene();
    const cam = new DepthCamera(defaultCameraSpec(24));
    try {
      const rng = new Rng(5);
      const shapes = [
        { kind: 'sphere' as const, radius: 0.03 },
        { kind: 'cylinder' as const, radius: 0.03, halfHeight: 0.06 },
        { kind: 'box' as const, halfExtents: [0.02, 0.04, 0.03] as [number, number, number] },
      ];
      shapes.forEach((shape, i) => {
        scene.addBody({ id: `b${i}`, role: 'object', shape, color: '#fff', mass: 0.2, friction: 0.5 }, {
          position: [-0.12 + 0.12 * i, 0.1 + 0.03 * i, 0.02],
          rotation: [0, 0, 0, 1],
          linvel: [rng.uniform(-0.3, 0.3), 0, rng.uniform(-0.3, 0.3)],
          angvel: [rng.uniform(-8, 8), rng.uniform(-8, 8), rng.uniform(-8, 8)],
        });
      });
      scene.syncColliders();
      let reused = 0;
      for (let t = 0; t < 240; t++) {
        scene.step();
        if (t % 4 !== 0) continue;
        const depth = cam.render(scene);
        if (cam.lastRayCount === 0) reused++;
        expect(Array.from(depth)).toEqual(Array.from(cam.renderBruteForce(scene)));
      }
      // Everything came to rest (asleep) before the end, so later frames cast no ray at all.
      expect(reused).toBeGreaterThan(3);
    } finally {
      cam.free();
      scene.free();
    }
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

  it('CameraProjection.sees says whether the bottle shows: no pixel changes once its centre projects outside the image', () => {
    env.reset(5);
    const cam = env.depthCamera;
    const scene = env.physics;
    const bottle = scene.bodies().find((b) => b.spec.role === 'object')!;
    const empty = cam.background(scene);
    const changed = (): number => cam.render(scene).filter((v, i) => Math.abs(v - empty[i]) > 1e-4).length;
    const view = new CameraProjection(env.spec.camera);
    for (const [x, z, shows] of [[0, 0, true], [-0.2, 0.1, true], [-0.45, 0, false], [0.45, 0.1, false], [0, -0.5, false]] as const) {
      const p: [number, number, number] = [x, BOTTLE_HALF_HEIGHT, z];
      scene.setBodyState(bottle, { position: p, rotation: [0, 0, 0, 1] });
      scene.syncColliders();
      expect(view.sees(...p), `(${x}, ${z})`).toBe(shows);
      if (shows) expect(changed(), `(${x}, ${z})`).toBeGreaterThan(5);
      else expect(changed(), `(${x}, ${z})`).toBe(0);
      const [row, col] = projected(view, p);
      expect(cam.project(p)).toEqual([row, col]);
    }
  });
});

/** [row, column, distance ahead] of a world point. */
function projected(view: CameraProjection, p: readonly number[]): number[] {
  const out = [0, 0, 0];
  view.project(p[0], p[1], p[2], out);
  return out;
}

describe('CameraProjection', () => {
  it('frames a camera looking straight down with +x to the right and the far side (-z) at the top', () => {
    const spec: CameraSpec = { width: 16, height: 16, position: [0, 1, 0], target: [0, 0, 0], fovDeg: 30, near: 0.5, far: 1.2 };
    const view = new CameraProjection(spec);
    const [row, col] = projected(view, [0, 0, 0]);
    expect(row).toBeCloseTo(7.5, 9);
    expect(col).toBeCloseTo(7.5, 9);
    expect(projected(view, [0.1, 0, 0])[1]).toBeGreaterThan(8);
    expect(projected(view, [0, 0, -0.1])[0]).toBeLessThan(7);
    expect(view.sees(0.1, 0, 0.1)).toBe(true);
    expect(view.sees(0.5, 0, 0)).toBe(false);
  });
});

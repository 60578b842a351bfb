// The distractor dial: unpredictable things in the camera's view that change the depth images and
// nothing else. Same seed, same episode at every level; the task's physics identical across
// levels; no contact with the task's bodies; exact rendering of both worlds; replay after restore.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DISTRACTOR_LEVEL, distractorLevel } from '../../sim/distractorLevels.ts';
import { PARK_Y, STRIP } from '../../sim/distractors.ts';
import { Env } from '../../sim/env.ts';
import { episodeStreams } from '../../sim/episodeStreams.ts';
import { intFlag, intListFlag } from '../../sim/flags.ts';
import { Rng, deriveSeed } from '../../sim/rng.ts';
import { rollout } from '../../sim/rollout.ts';
import { applySensorNoise } from '../../sim/sensorNoise.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import type { Action, Observation } from '../../sim/types.ts';

const LEVELS = Array.from({ length: MAX_DISTRACTOR_LEVEL + 1 }, (_, l) => l);
const envs: Env[] = [];
beforeAll(async () => {
  for (const l of LEVELS) envs.push(await Env.create({ task: builtinTasks.slide, obsSize: 32, distractors: l }));
});
afterAll(() => envs.forEach((e) => e.free()));

/** A seeded random push policy (the same actions for every level). */
function actions(seed: number, n: number): Action[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => [rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2), rng.uniform(0.015, 0.12)]);
}

function run(env: Env, seed: number, acts: Action[]): Observation[] {
  const out = [env.reset(seed)];
  for (const a of acts) {
    if (env.isDone) break;
    out.push(env.step(a).observation);
  }
  return out;
}

const arr = (a: ArrayLike<number>): number[] => Array.from(a);

describe('distractors', () => {
  it('give the same episode for the same seed at every level, whatever ran before', () => {
    for (const env of envs) {
      const a = run(env, 11, actions(1, 12));
      run(env, 12, actions(2, 5));
      const b = run(env, 11, actions(1, 12));
      expect(b.length).toBe(a.length);
      a.forEach((o, i) => {
        expect(arr(b[i].depth)).toEqual(arr(o.depth));
        expect(arr(b[i].state)).toEqual(arr(o.state));
        expect(arr(b[i].proprio)).toEqual(arr(o.proprio));
      });
      expect(arr(env.goalObservation().depth)).toEqual(arr(env.goalObservation().depth));
    }
  });

  it('change the depth images and nothing else: the same exploration episode has the same actions, states and outcome at every level', () => {
    let depthDiffers = 0;
    for (const seed of [3, 4, 5, 6]) {
      const eps = envs.map((e) => rollout(e, seed).episode);
      const base = eps[0];
      eps.forEach((ep, level) => {
        // The exploration policy reads privileged state, so identical states mean identical actions.
        expect(arr(ep.actions)).toEqual(arr(base.actions));
        expect(arr(ep.state)).toEqual(arr(base.state));
        expect(arr(ep.proprio)).toEqual(arr(base.proprio));
        expect(arr(ep.terminations)).toEqual(arr(base.terminations));
        expect(arr(ep.truncations)).toEqual(arr(base.truncations));
        expect(ep.outcome).toEqual(base.outcome);
        expect(ep.behaviour).toBe(base.behaviour);
        if (level > 0 && arr(ep.depth).some((v, i) => v !== base.depth[i])) depthDiffers++;
      });
    }
    expect(depthDiffers).toBe(4 * MAX_DISTRACTOR_LEVEL);
    // Level 3's noise touches (almost) every pixel; levels 1 and 2 only the far side of the table.
    const [o0, o2, o3] = [envs[0].reset(9), envs[2].reset(9), envs[3].reset(9)];
    const changed = (a: Observation, b: Observation): number => arr(a.depth).filter((v, i) => Math.abs(v - b.depth[i]) > 1e-6).length;
    expect(changed(o2, o0)).toBeGreaterThan(8);
    expect(changed(o2, o0)).toBeLessThan(32 * 5);
    expect(changed(o3, o2)).toBeGreaterThan(900);
    const dropouts = arr(o3.depth).filter((v, i) => v === 1 && o2.depth[i] < 1).length;
    expect(dropouts).toBeGreaterThan(10);
    expect(dropouts).toBeLessThan(80);
  });

  it('never touch the task objects or the pusher: a world of their own, whose contacts stay in it', () => {
    const env = envs[2];
    const plain = envs[0];
    let distractorContacts = 0;
    for (const seed of [1, 2]) {
      env.reset(seed);
      plain.reset(seed);
      const scene = env.physics;
      const d = env.distractorWorld!;
      expect(d.world).not.toBe(scene.world);
      // Structurally: the main world holds exactly the bodies and colliders of the plain scene.
      expect(scene.world.colliders.len()).toBe(plain.physics.world.colliders.len());
      expect(scene.world.bodies.len()).toBe(plain.physics.world.bodies.len());
      const main = new Set([scene.table, scene.pusher, ...scene.bodies()].map((b) => b.collider));
      for (const a of actions(seed, 25)) {
        if (env.isDone) break;
        env.step(a);
        const taskColliders = [scene.pusher, ...env.physics.bodies()].map((b) => b.collider);
        for (const c of taskColliders) {
          scene.world.narrowPhase.contactPairsWith(c.handle, (other) => {
            expect(main.has(scene.world.getCollider(other))).toBe(true);
          });
        }
        for (const b of d.bodies()) {
          d.world.narrowPhase.contactPairsWith(b.collider.handle, () => void distractorContacts++);
        }
        // On the table's far side (inside the walls), or parked far below it.
        for (const b of d.bodies()) {
          const p = b.body.translation();
          if (p.y < PARK_Y / 2) continue;
          expect(p.x).toBeGreaterThan(STRIP.xMin - 0.01);
          expect(p.x).toBeLessThan(STRIP.xMax + 0.01);
          expect(p.z).toBeGreaterThan(STRIP.zMin - 0.01);
          expect(p.z).toBeLessThan(STRIP.zMax + 0.01);
        }
      }
    }
    // The check above would be empty if the distractors never touched anything at all.
    expect(distractorContacts).toBeGreaterThan(50);
  });

  it('renders both worlds exactly: the cached render equals one ray cast per pixel and world, and noise is applied on top', () => {
    let compared = 0, dropIns = 0;
    for (const env of [envs[2], envs[3]]) {
      const noise = distractorLevel(env.spec.distractors!).noise;
      for (const seed of [21, 22]) {
        env.reset(seed);
        let visible = env.distractorView!.bodies.length;
        for (const a of actions(seed, 20)) {
          if (env.isDone) break;
          const obs = env.step(a).observation;
          const now = env.distractorView!.bodies.length;
          if (now > visible) dropIns++;
          visible = now;
          const brute = env.depthCamera.renderBruteForce(env.physics, {}, env.distractorView);
          const expected = noise ? applySensorNoise(Float32Array.from(brute), noise, deriveSeed(episodeStreams(seed).noise, env.stepCount)) : brute;
          expect(arr(obs.depth)).toEqual(arr(expected));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(60);
    expect(dropIns).toBeGreaterThan(0);
  });

  it('leave level 0 as the plain scene: no distractor world, the same bodies and images as an env without the option', async () => {
    const plain = await Env.create({ task: builtinTasks.slide, obsSize: 32 });
    try {
      expect(plain.spec.distractors).toBe(0);
      const a = run(plain, 7, actions(7, 10));
      const b = run(envs[0], 7, actions(7, 10));
      expect(envs[0].distractorWorld).toBeNull();
      expect(envs[0].describe().bodies.map((x) => x.id)).toEqual(['table', 'pusher', 'bottle']);
      a.forEach((o, i) => expect(arr(b[i].depth)).toEqual(arr(o.depth)));
      expect(arr(envs[0].depthCamera.renderBruteForce(envs[0].physics))).toEqual(arr(b[b.length - 1].depth));
      expect(arr(envs[0].goalObservation().depth)).toEqual(arr(plain.goalObservation().depth));
    } finally {
      plain.free();
    }
  });

  it('list every pool body in describe() and poses(), parked ones too, so the body list is fixed within an episode', () => {
    const env = envs[2];
    env.reset(5);
    const ids = env.describe().bodies.map((b) => b.id);
    expect(env.describe().bodies.filter((b) => b.role === 'distractor').length).toBe(distractorLevel(2).dropIns + distractorLevel(2).bars);
    let parkedSeen = 0;
    for (const a of actions(5, 15)) {
      if (env.isDone) break;
      env.step(a);
      expect(env.poses().map((p) => p.id)).toEqual(ids);
      parkedSeen += env.poses().filter((p) => p.position[1] < PARK_Y / 2).length;
    }
    expect(parkedSeen).toBeGreaterThan(0);
  });

  it('continue after a restore exactly as if no rollout had happened', () => {
    for (const env of [envs[1], envs[3]]) {
      const acts = actions(31, 16);
      env.reset(31);
      for (const a of acts.slice(0, 5)) env.step(a);
      const snap = env.snapshot();
      const replay = (): { depth: number[][]; poses: string } => {
        const depth: number[][] = [];
        for (const a of acts.slice(5, 13)) if (!env.isDone) depth.push(arr(env.step(a).observation.depth));
        return { depth, poses: JSON.stringify(env.poses()) };
      };
      const first = replay();
      env.restore(snap);
      for (const a of actions(99, 6)) if (!env.isDone) env.step(a);
      env.restore(snap);
      const second = replay();
      expect(second.depth.length).toBe(first.depth.length);
      expect(second).toEqual(first);
    }
  });

  it('give the goal image distractors of its own and the same goal state as the plain scene', () => {
    const [plain, busy] = [envs[0], envs[2]];
    plain.reset(13);
    const o = busy.reset(13);
    const g0 = plain.goalObservation(), g = busy.goalObservation();
    expect(arr(g.state)).toEqual(arr(g0.state));
    const differs = (a: ArrayLike<number>, b: ArrayLike<number>): number => arr(a).filter((v, i) => Math.abs(v - b[i]) > 1e-6).length;
    // The far side differs from the plain goal (distractors are there) and from the live view (another configuration).
    const top = (d: Float32Array): Float32Array => d.subarray(0, 32 * 4);
    expect(differs(top(g.depth), top(g0.depth))).toBeGreaterThan(5);
    expect(differs(top(g.depth), top(o.depth))).toBeGreaterThan(5);
  });

  it('refuses levels that do not exist, with the range and a fix', async () => {
    for (const bad of [-1, 1.5, MAX_DISTRACTOR_LEVEL + 1, Number.NaN]) {
      await expect(Env.create({ task: builtinTasks.slide, distractors: bad })).rejects.toThrow(/distractor level .*must be a whole number from 0 to 3/);
    }
    expect(() => distractorLevel(7)).toThrow(expect.objectContaining({ hint: expect.stringMatching(/--distractors 0/) }));
    expect(() => intFlag(0, MAX_DISTRACTOR_LEVEL)('4')).toThrow(/from 0 to 3/);
    expect(intListFlag(0, MAX_DISTRACTOR_LEVEL)('0, 3')).toEqual([0, 3]);
    expect(() => intListFlag(0, MAX_DISTRACTOR_LEVEL)('0,5')).toThrow(/'5'.*from 0 to 3/);
    expect(() => intListFlag(0, MAX_DISTRACTOR_LEVEL)('1,1')).toThrow(/twice/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '../../sim/env.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import { Rng } from '../../sim/rng.ts';
import type { Observation } from '../../sim/types.ts';
import { hold, stage } from './scripted.ts';

let env: Env;
beforeAll(async () => {
  env = await Env.create({ task: builtinTasks.slide, obsSize: 16 });
});
afterAll(() => env.free());

/** Actions of a seeded random policy, the same for every call with the same seed. */
function rollout(seed: number, n: number): Observation[] {
  const rng = new Rng(seed + 1000);
  const obs = [env.reset(seed)];
  for (let i = 0; i < n && !env.isDone; i++) {
    obs.push(env.step([rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2), rng.uniform(0.02, 0.1)]).observation);
  }
  return obs;
}

describe('Env', () => {
  it('same seed gives a bit-identical episode, whatever ran before; another seed differs', () => {
    const a = rollout(21, 15);
    rollout(99, 7); // history must not leak into the next episode
    const b = rollout(21, 15);
    expect(b.length).toBe(a.length);
    a.forEach((o, i) => {
      expect(Array.from(b[i].depth)).toEqual(Array.from(o.depth));
      expect(Array.from(b[i].state)).toEqual(Array.from(o.state));
      expect(Array.from(b[i].proprio)).toEqual(Array.from(o.proprio));
    });
    const c = rollout(22, 15);
    expect(Array.from(c[0].state)).not.toEqual(Array.from(a[0].state));
    expect(Array.from(c[0].depth)).not.toEqual(Array.from(a[0].depth));
  });

  it('reset starts the pusher behind the bottle, opposite the goal', () => {
    for (let seed = 0; seed < 20; seed++) {
      const o = env.reset(seed);
      const g = env.goal();
      const toGoal = [g[0] - o.state[0], g[1] - o.state[2]];
      const toPusher = [o.proprio[0] - o.state[0], o.proprio[2] - o.state[2]];
      const dist = Math.hypot(toGoal[0], toGoal[1]);
      expect(dist).toBeGreaterThanOrEqual(0.06 - 1e-6);
      expect(dist).toBeLessThanOrEqual(0.15 + 1e-6);
      const cos = (toGoal[0] * toPusher[0] + toGoal[1] * toPusher[1]) / (dist * Math.hypot(toPusher[0], toPusher[1]));
      expect(cos).toBeLessThan(-Math.cos((25 * Math.PI) / 180) + 1e-6);
      expect(env.outcome().kind).toBe('running');
    }
  });

  it('rejects NaN/Inf actions naming the component, clips out-of-range ones', () => {
    env.reset(1);
    expect(() => env.step([0, Number.NaN, 0.05])).toThrow(/vz is NaN/);
    expect(() => env.step([Infinity, 0, 0.05])).toThrow(/vx is Infinity/);
    expect(() => env.step([0, 0])).toThrow(/3 components/);
    expect(env.stepCount).toBe(0);
    const inside = env.step([0.1, 0, 0.05]);
    expect(inside.info.clipped).toBe(false);
    const before = env.observe().proprio;
    const r = env.step([5, 0, 9]);
    expect(r.info.clipped).toBe(true);
    const { high } = env.spec.actionBounds;
    expect(r.observation.proprio[0] - before[0]).toBeCloseTo(high[0] * env.spec.controlDt, 5);
    expect(r.observation.proprio[1]).toBeCloseTo(high[2], 5);
  });

  it('goalObservation differs from the current view and leaves the live scene untouched', () => {
    env.reset(5);
    hold(env, [0.05, 0.02, 0.03], 2);
    const before = env.observe();
    const posesBefore = JSON.stringify(env.poses());
    const goal = env.goalObservation();
    expect(goal.depth.length).toBe(before.depth.length);
    const changed = goal.depth.filter((v, i) => Math.abs(v - before.depth[i]) > 1e-3).length;
    expect(changed).toBeGreaterThan(3);
    expect(goal.state[0]).toBeCloseTo(env.goal()[0], 5);
    expect(goal.state[2]).toBeCloseTo(env.goal()[1], 5);
    expect(JSON.stringify(env.poses())).toBe(posesBefore);
    expect(Array.from(env.observe().depth)).toEqual(Array.from(before.depth));
    // The next step is the same as if the goal had never been rendered.
    const snap = env.snapshot();
    const a = env.step([0.1, 0, 0.03]).observation.state;
    env.restore(snap);
    env.goalObservation();
    const b = env.step([0.1, 0, 0.03]).observation.state;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('setGoal validates the goal and the outcome follows it', () => {
    env.reset(2);
    expect(() => env.setGoal(Float32Array.from([Number.NaN, 0]))).toThrow(/finite/);
    expect(() => env.setGoal(Float32Array.from([2, 0]))).toThrow(/workspace/);
    const p = env.observe().state;
    env.setGoal(Float32Array.from([p[0] + 0.01, p[2]]));
    expect(env.outcome().kind).toBe('success');
  });

  it('truncates at maxSteps with a timeout outcome, and pusher stays in the workspace', () => {
    const o = env.reset(8);
    // Straight away from the bottle (into a workspace corner): no contact, so only a timeout.
    const sx = Math.sign(o.proprio[0] - o.state[0]), sz = Math.sign(o.proprio[2] - o.state[2]);
    let r;
    for (let i = 0; i < env.spec.maxSteps; i++) {
      r = env.step([0.25 * sx, 0.25 * sz, 0.2]);
      if (r.terminated) break;
    }
    expect(r!.terminated).toBe(false);
    expect(r!.truncated).toBe(true);
    expect(r!.info.outcome.kind).toBe('timeout');
    expect(env.stepCount).toBe(env.spec.maxSteps);
    const p = r!.observation.proprio;
    expect(p[0]).toBeCloseTo(0.3 * sx, 6);
    expect(p[2]).toBeCloseTo(0.3 * sz, 6);
    expect(() => env.step([0, 0, 0.1])).toThrow(/reset/);
  });

  it('describe() and poses() use stable ids; a burst adds fragments', () => {
    env.reset(3);
    const ids = env.describe().bodies.map((b) => b.id);
    expect(ids).toEqual(['table', 'pusher', 'bottle']);
    hold(env, [0.1, 0, 0.05], 3);
    expect(env.poses().map((p) => p.id)).toEqual(ids);
    stage(env, 3, [0, 0], [0, 0.26, 0]);
    hold(env, [0, 0, 0.15], 2);
    const after = env.describe();
    expect(after.bodies.filter((b) => b.role === 'fragment').length).toBeGreaterThan(0);
    expect(env.poses().map((p) => p.id)).toEqual(after.bodies.map((b) => b.id));
    expect(env.spec.stateLabels.length).toBe(env.observe().state.length);
    expect(env.observe().depth.length).toBe(16 * 16);
  });

  it('leaves the pusher out of the depth image unless the camera is set to show it', async () => {
    // Fine pixels: the fingertip-sized pusher must cover some pixel centres.
    const masked = await Env.create({ task: builtinTasks.slide, obsSize: 64 });
    const shown = await Env.create({ task: builtinTasks.slide, obsSize: 64, showsPusher: true });
    try {
      for (const e of [masked, shown]) {
        e.reset(5);
        // Lift the pusher high up where the camera sees it clearly, away from the bottle.
        e.step([0.2, 0.2, 0.26]);
      }
      expect(masked.spec.camera.showsPusher).toBe(false);
      expect(shown.spec.camera.showsPusher).toBe(true);
      const hidden = masked.observe().depth;
      const visible = shown.observe().depth;
      const objectsOnly = masked.depthCamera.render(masked.physics, { hidePusher: true });
      expect(Array.from(hidden)).toEqual(Array.from(objectsOnly));
      // The pusher sits closer to the camera than whatever is behind it.
      const nearer = visible.filter((v, i) => v < hidden[i] - 1e-3).length;
      expect(nearer).toBeGreaterThan(0);
      expect(visible.every((v, i) => v <= hidden[i] + 1e-6)).toBe(true);
    } finally {
      masked.free();
      shown.free();
    }
  });
});

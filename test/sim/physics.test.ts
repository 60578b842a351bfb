import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalResetSeed } from '../../agent/plan.ts';
import { Env } from '../../sim/env.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import { BOTTLE_FRICTION, BOTTLE_HALF_HEIGHT, BOTTLE_MASS, BOTTLE_STATE_INDEX, DEG, SHORT_BOTTLE, bottleState, headingOf, tiltOf, angleDiff } from '../../sim/tasks/bottle.ts';
import { hold, stage, stateValue } from './scripted.ts';

// Physics behaviours the whole project relies on, each driven by scripted actions.
let slide: Env, tip: Env, fragile: Env;
beforeAll(async () => {
  slide = await Env.create({ task: builtinTasks.slide, renderDepth: false });
  tip = await Env.create({ task: builtinTasks.tip, renderDepth: false });
  fragile = await Env.create({ task: builtinTasks.fragile, renderDepth: false });
});
afterAll(() => [slide, tip, fragile].forEach((e) => e.free()));

/**
 * From the bench's start `episode` (seed 1000), push from the pusher straight at the goal at
 * `speed` until the episode ends, at the height `height(step, start height)` (default: level).
 * Returns how it ended.
 */
function pushAtGoal(env: Env, episode: number, speed: number, height = (_step: number, start: number) => start): string {
  const obs = env.reset(evalResetSeed(1000, episode));
  const g = env.goal();
  const dx = g[0] - obs.proprio[0], dz = g[1] - obs.proprio[2];
  const n = Math.hypot(dx, dz);
  for (let t = 0; ; t++) {
    const r = env.step([speed * dx / n, speed * dz / n, height(t, obs.proprio[1])]);
    if (r.terminated || r.truncated) return r.info.outcome.kind;
  }
}

describe('bottle physics', () => {
  it('slides upright when pushed low (3 cm)', () => {
    stage(slide, 3, [0.02, -0.03], [-0.05, 0.03, -0.03]);
    const x0 = bottleState(slide.physics).position[0];
    const rs = hold(slide, [0.1, 0, 0.03], 12);
    const s = bottleState(slide.physics);
    expect(s.position[0] - x0).toBeGreaterThan(0.05);
    expect(tiltOf(s.rotation)).toBeLessThan(10 * DEG);
    expect(rs.some((r) => r.info.contact)).toBe(true);
    expect(rs.every((r) => !r.info.burst)).toBe(true);
  });

  it('a standing bottle left alone stays at rest: no sinking, drift or jitter (3 s)', () => {
    stage(slide, 2, [0.02, -0.03], [-0.2, 0.05, 0.2]);
    const rs = hold(slide, [0, 0, 0.05], 30);
    expect(rs.every((r) => !r.info.contact)).toBe(true);
    // The first steps settle the 0.1 mm contact margin; after that nothing may move.
    const settled = bottleState(slide.physics);
    hold(slide, [0, 0, 0.05], 10);
    const s = bottleState(slide.physics);
    expect(Math.abs(s.position[1] - BOTTLE_HALF_HEIGHT)).toBeLessThan(1e-3);
    expect(Math.hypot(s.position[0] - 0.02, s.position[2] + 0.03)).toBeLessThan(1e-3);
    expect(Math.hypot(s.position[0] - settled.position[0], s.position[1] - settled.position[1], s.position[2] - settled.position[2])).toBeLessThan(1e-5);
    expect(Math.hypot(...s.linvel)).toBeLessThan(1e-3);
    expect(Math.hypot(...s.angvel)).toBeLessThan(1e-2);
    expect(tiltOf(s.rotation)).toBeLessThan(0.1 * DEG);
  });

  it('tips over toward the push direction when pushed high (16 cm)', () => {
    // Push along -z (heading -90 deg) to check the heading is not just an axis default.
    stage(tip, 4, [0.01, 0.03], [0.01, 0.16, 0.1]);
    tip.setGoal(Float32Array.from([0, -1]));
    hold(tip, [0, -0.1, 0.16], 25);
    const s = bottleState(tip.physics);
    expect(tiltOf(s.rotation)).toBeGreaterThan(70 * DEG);
    expect(angleDiff(headingOf(s.rotation), -Math.PI / 2)).toBeLessThan(15 * DEG);
    expect(tip.outcome().kind).toBe('success');
    expect(stateValue(tip, 'burst')).toBe(0);
    // The goal image draws the bottle lying where this tip left it (within the spread of real tips).
    const drawn = tip.goalObservation().state;
    expect(Math.hypot(drawn[BOTTLE_STATE_INDEX.x] - s.position[0], drawn[BOTTLE_STATE_INDEX.z] - s.position[2])).toBeLessThan(0.02);
  });

  it('bursts when pressed hard from above: bottle replaced by fragments, episode over', () => {
    stage(slide, 5, [0, 0], [0, 0.26, 0]);
    const rs = hold(slide, [0, 0, 0.2], 3);
    const last = rs[rs.length - 1];
    expect(last.terminated).toBe(true);
    expect(last.info.outcome.kind).toBe('burst');
    expect(last.info.outcome.success).toBe(false);
    expect(last.info.outcome.reason).toMatch(/contact force \d+(\.\d)? N > threshold 25 N/);
    expect(last.info.maxContactForce).toBeGreaterThan(25);
    const roles = slide.describe().bodies.map((b) => b.role);
    expect(roles).not.toContain('object');
    expect(roles.filter((r) => r === 'fragment').length).toBeGreaterThanOrEqual(3);
    expect(stateValue(slide, 'burst')).toBe(1);
    expect(() => slide.step([0, 0, 0.1])).toThrow(/episode is over/);
  });

  it('an ordinary push (0.15 m/s) never bursts the slide bottle', () => {
    for (const h of [0.03, 0.1, 0.18]) {
      stage(slide, 6, [0, 0], [-0.065, h, 0]);
      const rs = hold(slide, [0.15, 0, h], 8);
      expect(rs.every((r) => !r.info.burst)).toBe(true);
    }
  });

  it('fragile: slow pushes (0.06, 0.08 m/s) do not burst it, fast ones (0.2, 0.25 m/s) do', () => {
    for (const v of [0.06, 0.08]) {
      stage(fragile, 7, [0, 0], [-0.065, 0.03, 0]);
      const slow = hold(fragile, [v, 0, 0.03], 15);
      expect(slow.some((r) => r.info.contact)).toBe(true);
      expect(slow.every((r) => !r.info.burst)).toBe(true);
      expect(bottleState(fragile.physics).position[0]).toBeGreaterThan(0.03);
    }
    for (const v of [0.2, 0.25]) {
      stage(fragile, 7, [0, 0], [-0.065, 0.03, 0]);
      const fast = hold(fragile, [v, 0, 0.03], 15);
      const last = fast[fast.length - 1];
      expect(last.info.outcome.kind).toBe('burst');
      expect(last.terminated).toBe(true);
      expect(last.info.outcome.reason).toMatch(/force/);
    }
  });

  it('fragile is solvable from the benchmark\'s own starts: a steady slow push straight at the goal gets there, a fast one bursts', () => {
    // The planner's target is not out of reach: from where the bench starts (seed 1000), holding
    // 0.06, 0.07 or 0.08 m/s from the pusher toward the goal reached it in all 50 episodes, and
    // 0.20 m/s burst the bottle in 37, 0.25 m/s in 44 (the 18 cm bottle at 4.6 N). Ten of them
    // here, at 0.08 and 0.25 m/s (measured: 10 successes; 9 bursts).
    const outcomes = (speed: number) => Array.from({ length: 10 }, (_, i) => pushAtGoal(fragile, i, speed));
    expect(outcomes(0.08)).toEqual(Array(10).fill('success'));
    expect(outcomes(0.25).filter((k) => k === 'burst').length).toBeGreaterThanOrEqual(6);
  });

  it('fragile: a slow push whose height wobbles by a few mm bursts bottles that the same push held level never does', () => {
    // Why fragile's planners sample the push height so narrowly (plannerDefaults.heightStd, and
    // CEM's floor scaled with it): the executed height wandered by 1-5 mm between replans and
    // burst bottles at 0.06 m/s. Measured on these ten starts (the 18 cm bottle at 4.6 N): 3-6 mm
    // of wobble every other step burst 2 and left 2 short of the goal at the time limit, held
    // level none burst.
    const outcomes = (wobble: number) => Array.from({ length: 10 }, (_, i) =>
      pushAtGoal(fragile, i, 0.07, (t, level) => (t >= 6 && t % 2 === 0 ? level - wobble : level)));
    expect(outcomes(0)).toEqual(Array(10).fill('success'));
    expect(outcomes(0.004).filter((k) => k === 'burst').length).toBeGreaterThanOrEqual(2);
  });

  it('a slow pusher meets a resting bottle: contact at the sliding friction, never sliding in under it', () => {
    // A bottle at rest since reset used to be asleep when a slow pusher arrived: no contact was
    // made, the pusher slid in under it and then carried its weight (a steady 4.9 N, 20-30 N spikes).
    const friction = BOTTLE_MASS * 9.81 * BOTTLE_FRICTION;
    for (const seed of [7100, 7104]) {
      for (const h of [0.015, 0.025, 0.035]) {
        let obs = fragile.reset(seed);
        for (let t = 0; t < 3; t++) obs = fragile.step([0, 0, h]).observation;
        const forces: number[] = [];
        for (let t = 0; t < 20 && !fragile.isDone; t++) {
          const dx = obs.state[0] - obs.proprio[0], dz = obs.state[2] - obs.proprio[2];
          const n = Math.hypot(dx, dz);
          const r = fragile.step([0.04 * dx / n, 0.04 * dz / n, h]);
          expect(r.info.burst).toBe(false);
          forces.push(r.info.maxContactForce);
          obs = r.observation;
        }
        const touching = forces.filter((f) => f > 0);
        expect(touching.length).toBeGreaterThan(5);
        expect(Math.max(...touching)).toBeLessThan(1.7 * friction);
        // The pusher stays outside the bottle: it is neither lifted nor reached through.
        expect(Math.abs(obs.state[1] - SHORT_BOTTLE.halfHeight)).toBeLessThan(0.005);
        expect(Math.hypot(obs.state[0] - obs.proprio[0], obs.state[2] - obs.proprio[2])).toBeGreaterThan(0.035);
      }
    }
  });

  it('restore() puts the episode back: the same 5 steps give the same state (1e-4)', () => {
    slide.reset(11);
    hold(slide, [0.1, 0.05, 0.04], 3);
    const snap = slide.snapshot();
    const actions: [number, number, number][] = [[0.12, 0, 0.03], [0.1, 0.1, 0.05], [0, 0.15, 0.1], [-0.1, 0.2, 0.03], [0.2, 0, 0.02]];
    const run = (): Float32Array[] => actions.map((a) => {
      const r = slide.step(a);
      return Float32Array.from([...r.observation.state, ...r.observation.proprio]);
    });
    const first = run();
    slide.restore(snap);
    expect(slide.stepCount).toBe(snap.stepCount);
    const second = run();
    for (let k = 0; k < actions.length; k++) {
      for (let i = 0; i < first[k].length; i++) expect(Math.abs(first[k][i] - second[k][i])).toBeLessThan(1e-4);
    }
  });
});

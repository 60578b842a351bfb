// The real runner (Env + planners + MPC loop) as the viewer drives it: model planners produce
// elite paths with imagined bottle positions, goals set by clicks reach the task, and episodes end.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import type { WorldModel } from '../../agent/worldModel.ts';
import { SimRunner } from '../../viewer/server/simRunner.ts';
import { planMessage } from '../../viewer/server/planMessage.ts';
import { Env } from '../../sim/env.ts';
import { deriveSeed } from '../../sim/rng.ts';
import { MpcEpisode } from '../../agent/mpc.ts';
import { createPlanner } from '../../agent/planners/factory.ts';

/** A tiny stand-in JEPA: z = [proprio, mean depth, 0...], z' = z + A a; probe reads z[0], z[2], z[3]. */
function toyModel(): WorldModel {
  const D = 6;
  return {
    kind: 'jepa', latentDim: D, obsSize: { width: 32, height: 32 }, probeLabels: ['bottle_x', 'bottle_z', 'tilt'],
    encode(depth, proprio) {
      return tf.tidy(() => {
        const rows = depth.map((d, i) => [proprio[i][0], proprio[i][1], proprio[i][2], d.reduce((s, v) => s + v, 0) / d.length, 0, 0]);
        return tf.tensor2d(rows, [rows.length, D]);
      });
    },
    predict(z, a) {
      return tf.tidy(() => z.add(tf.concat([a.mul(0.1), tf.zeros([a.shape[0], D - 3])], 1)) as tf.Tensor2D);
    },
    probe(z) {
      return tf.tidy(() => tf.gather(z, [0, 2, 3], 1) as tf.Tensor2D);
    },
    dispose() {},
  };
}

describe('SimRunner', () => {
  it('jepa-cem: elites with imagined bottle paths, energy per iteration, a bounded action', async () => {
    const runner = await SimRunner.create(builtinTasks.slide, 'jepa-cem', toyModel());
    try {
      runner.reset(42);
      const tensors = tf.memory().numTensors;
      const s = runner.advance();
      const plan = s.plan!;
      expect(plan).not.toBeNull();
      expect(plan.elites.length).toBeGreaterThan(1);
      expect(plan.chosen).toHaveLength(plan.horizon * 3);
      expect(plan.energy.length).toBeGreaterThan(1);
      expect(plan.eliteBottlePaths).not.toBeNull();
      expect(plan.eliteBottlePaths!).toHaveLength(plan.elites.length);
      expect(plan.chosenBottlePath).toHaveLength((plan.horizon + 1) * 3);
      const { low, high } = builtinTasks.slide.actionBounds;
      s.action.forEach((v, i) => expect(v >= low[i] - 1e-6 && v <= high[i] + 1e-6).toBe(true));
      const msg = planMessage(plan, runner.pusherPosition(), runner.controlDt, 1, 0);
      expect(msg.elites.length).toBeLessThanOrEqual(16);
      expect(msg.chosen.bottle).toHaveLength((plan.horizon + 1) * 3);
      runner.advance();
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      runner.dispose();
    }
  });

  it('warms a model planner up when created, and its episodes play as an unwarmed planner would', async () => {
    let calls = 0;
    const counted = toyModel();
    const predict = counted.predict.bind(counted);
    counted.predict = (z, a) => { calls++; return predict(z, a); };
    const runner = await SimRunner.create(builtinTasks.slide, 'jepa-cem', counted);
    const env = await Env.create({ task: builtinTasks.slide, obsSize: 32 });
    try {
      expect(calls).toBeGreaterThan(0);
      const fresh = new MpcEpisode(env, createPlanner('jepa-cem', { env, model: toyModel(), task: builtinTasks.slide }), 42, deriveSeed(42, 1), { execute: 1, imagine: true });
      runner.reset(42);
      for (let t = 0; t < 3; t++) expect(Array.from(runner.advance().action)).toEqual(Array.from(fresh.next().action));
    } finally {
      runner.dispose();
      env.free();
    }
  });

  it('random: runs an episode to its end; slide goal ghost and click goal follow the task', async () => {
    const runner = await SimRunner.create(builtinTasks.slide, 'random', undefined);
    try {
      runner.reset(7);
      const ghost = runner.goalPoses();
      expect(ghost).toHaveLength(1);
      expect(ghost[0].id).toBe(runner.describe().bodies.find((b) => b.role === 'object')!.id);
      expect(runner.goalPoint()).toEqual([expect.closeTo(ghost[0].position[0], 5), expect.closeTo(ghost[0].position[2], 5)]);
      const goalDepthBefore = Float32Array.from(runner.goalDepth());
      runner.setGoal(0.05, -0.04);
      expect(runner.goalPoint()![0]).toBeCloseTo(0.05, 5);
      expect(runner.goalPoses()[0].position[2]).toBeCloseTo(-0.04, 5);
      expect(Array.from(runner.goalDepth())).not.toEqual(Array.from(goalDepthBefore));
      expect(() => runner.setGoal(5, 5)).toThrow(/slide goal/);
      let last = runner.advance();
      for (let i = 0; i < 200 && !last.done; i++) last = runner.advance();
      expect(last.done).toBe(true);
      expect(last.outcome.kind).not.toBe('running');
    } finally {
      runner.dispose();
    }
  });

  it('tip: a click sets the heading from the bottle toward the click', async () => {
    const runner = await SimRunner.create(builtinTasks.tip, 'random', undefined);
    try {
      runner.reset(3);
      const bottle = runner.poses().find((p) => p.id === runner.describe().bodies.find((b) => b.role === 'object')!.id)!;
      runner.setGoal(bottle.position[0] + 0.1, bottle.position[2]);
      // The ghost lies along +x from where the bottle stands.
      const ghost = runner.goalPoses()[0];
      expect(ghost.position[0]).toBeGreaterThan(bottle.position[0] + 0.03);
      expect(Math.abs(ghost.position[2] - bottle.position[2])).toBeLessThan(0.01);
    } finally {
      runner.dispose();
    }
  });
});

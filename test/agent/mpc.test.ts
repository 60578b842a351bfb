// The MPC loop on a point-mass environment whose dynamics the toy model knows exactly: planning
// in the model's latent space must reach goals that random actions do not, the loop must stop at
// termination, execute k actions per replan, and report planning time per replan.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MpcEpisode, runEpisode, runEpisodeSync } from '../../agent/mpc.ts';
import { createPlanner } from '../../agent/planners/factory.ts';
import type { PlanResult } from '../../agent/planners/types.ts';
import { summarize } from '../../agent/report.ts';
import { LinearToyModel, PointEnv } from './plannersToy.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const small = { samples: 64, elites: 8, iterations: 3, horizon: 5 };

describe('MPC loop', () => {
  it('reaches goals with a latent planner far more often than random actions', () => {
    const env = new PointEnv(0.01);
    const model = new LinearToyModel();
    const cem = createPlanner('jepa-cem', { env, model, settings: small });
    const random = createPlanner('random', { env });
    const seeds = [1, 2, 3, 4, 5, 6];
    const planned = seeds.map((s) => runEpisodeSync(env, cem, s, s));
    const baseline = seeds.map((s) => runEpisodeSync(env, random, s, s));
    const a = summarize(planned);
    const b = summarize(baseline);
    expect(a.successRate).toBe(1);
    expect(b.successRate).toBeLessThan(0.5);
    // Goals are 8-12 cm away at up to 2.5 cm per step: a planner needs 4-5 steps, not 30.
    for (const r of planned) expect(r.steps).toBeLessThanOrEqual(8);
    expect(a.meanFinalDistance).toBeLessThan(b.meanFinalDistance);
    model.dispose();
  });

  it('replans once per `execute` actions and stops when the episode terminates', () => {
    const env = new PointEnv(0.01);
    const model = new LinearToyModel();
    const cem = createPlanner('jepa-cem', { env, model, settings: { ...small, horizon: 6 } });
    const ep = new MpcEpisode(env, cem, 3, 3, { execute: 3 });
    const plans: (PlanResult | undefined)[] = [];
    while (!ep.done) plans.push(ep.next().plan);
    expect(plans[0]).toBeDefined();
    plans.forEach((p, i) => expect(p !== undefined).toBe(i % 3 === 0));
    expect(ep.planningMs).toHaveLength(Math.ceil(plans.length / 3));
    expect(env.outcome().success).toBe(true);
    expect(() => ep.next()).toThrow(/after the episode ended/);
    model.dispose();
  });

  it('executes the plan it reports, awaits callbacks and can be stopped', async () => {
    const env = new PointEnv(0.001);
    const model = new LinearToyModel();
    const cem = createPlanner('jepa-cem', { env, model, settings: small });
    const seen: number[] = [];
    let started = 0;
    const r = await runEpisode(env, cem, 9, 9, { imagine: true }, {
      onStart: () => { started++; },
      onStep: async (step) => {
        await new Promise((res) => setTimeout(res, 1));
        expect(Array.from(step.action)).toEqual(Array.from(step.plan!.actions.slice(0, 3)));
        expect(step.plan!.imagined?.paths.length).toBe(step.plan!.elites.length);
        seen.push(step.step);
      },
      shouldStop: () => seen.length >= 2,
    });
    expect(started).toBe(1);
    expect(seen).toEqual([1, 2]);
    expect(r.steps).toBe(2);
    expect(r.planningMs).toHaveLength(2);
    expect(r.planningMs.every((ms) => ms >= 0 && Number.isFinite(ms))).toBe(true);
    model.dispose();
  });

  it('oracle plans through the simulator and leaves the live state where it was', () => {
    const env = new PointEnv(0.01);
    const oracle = createPlanner('oracle', { env, settings: { samples: 32, elites: 6, iterations: 3 } });
    env.reset(4);
    oracle.begin(env.goalObservation(), 4);
    const before = env.observe().proprio.slice();
    oracle.plan(env.observe());
    expect(Array.from(env.observe().proprio)).toEqual(Array.from(before));
    const results = [1, 2, 3].map((s) => runEpisodeSync(env, oracle, s, s));
    expect(results.every((r) => r.success)).toBe(true);
  });

  it('gives the same episode for the same seeds', () => {
    const env = new PointEnv(0.01);
    const model = new LinearToyModel();
    const cem = createPlanner('jepa-mppi', { env, model, settings: small });
    const a = runEpisodeSync(env, cem, 5, 77);
    runEpisodeSync(env, cem, 6, 1);
    const b = runEpisodeSync(env, cem, 5, 77);
    expect(b.finalDistance).toBe(a.finalDistance);
    expect(b.steps).toBe(a.steps);
    model.dispose();
  });
});

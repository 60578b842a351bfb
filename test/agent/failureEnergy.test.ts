// The failure term of the planning energy: a toy latent model whose failure head says "a fast push
// in +x fails". Without the term the planner takes the fast (failing) push that reaches the goal
// soonest; with it, it pushes as fast as is safe. Plus: models without a head are unaffected, NaN
// failure logits are discarded, no tensor leaks, and bad weights are clear errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { createPlanner, resolveSettings, SEARCH_DEFAULTS } from '../../agent/planners/factory.ts';
import { modelCost } from '../../agent/planners/energy.ts';
import { flatBounds } from '../../agent/planners/sampling.ts';
import type { PlannerName } from '../../agent/planners/types.ts';
import { isUserError } from '../../sim/errors.ts';
import { LinearToyModel, obsAt, PointEnv, TOY_BOUNDS } from './plannersToy.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SAFE_VX = 0.1;

/** The linear toy model plus a failure head: logit = 400 (vx - 0.1), i.e. pushes faster than 0.1 m/s in +x fail. */
class FailingToyModel extends LinearToyModel {
  failureCalls = 0;
  constructor(private readonly nanWhenVz = false) {
    super();
  }

  failureLogit(z: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    this.failureCalls += 1;
    return tf.tidy(() => {
      const vx = tf.reshape(tf.slice(actions, [0, 0], [-1, 1]), [-1]);
      const logit = tf.mul(tf.sub(vx, SAFE_VX), 400) as tf.Tensor1D;
      if (!this.nanWhenVz) return logit;
      const vz = tf.reshape(tf.slice(actions, [0, 1], [-1, 1]), [-1]);
      return tf.where(tf.greater(vz, 0.1), tf.fill(logit.shape, Number.NaN), logit) as tf.Tensor1D;
    });
  }
}

const env = new PointEnv();
const start = obsAt(0, 0, 0.1);
// 0.1 m in x within the 5-step horizon needs 0.2 m/s on average: only reachable by failing pushes.
const goal = obsAt(0.1, 0, 0.1);

describe.each<PlannerName>(['jepa-cem', 'jepa-mppi'])('%s with a failure head', (name) => {
  it('takes the failing push without the failure term and avoids it with the term', () => {
    const model = new FailingToyModel();
    const plans = [0, 2].map((failureWeight) => {
      const planner = createPlanner(name, { env, model, settings: { actionPenalty: 0, iterations: 8, failureWeight, horizon: 5, samples: 256 } });
      planner.begin(goal, 5);
      const plan = planner.plan(start);
      planner.dispose();
      return plan;
    });
    const [without, withTerm] = plans;
    // Without the term: full speed toward the goal, well into the failing range.
    expect(without.actions[0]).toBeGreaterThan(0.15);
    // With it: still toward the goal, but at a safe speed on every step of the plan.
    for (let t = 0; t < withTerm.horizon; t++) expect(withTerm.actions[t * 3]).toBeLessThan(SAFE_VX);
    expect(withTerm.actions[0]).toBeGreaterThan(0.03);
    model.dispose();
  });
});

describe('failure term in the energy', () => {
  const bounds = flatBounds(TOY_BOUNDS);
  const seq = (vx: number) => Float32Array.from({ length: 15 }, (_, i) => (i % 3 === 0 ? vx : i % 3 === 1 ? 0 : 0.1));

  it('adds failureWeight * P(fail within the horizon), one batched head call for all horizon steps', () => {
    const model = new FailingToyModel();
    const z0 = tf.tensor2d([[0, 0, 0.1]]);
    const g = tf.tensor2d([[0.1, 0, 0.1]]);
    const cost = (failureWeight: number) => modelCost({ model, z0, goal: g, space: 'latent', horizon: 5, bounds, options: { distance: 'l1', actionPenalty: 0, failureWeight } });
    const batch = new Float32Array([...seq(0.05), ...seq(0.25), ...seq(0.1)]);
    const base = cost(0)(batch, 3);
    expect(model.failureCalls).toBe(0);
    const withTerm = cost(2)(batch, 3);
    expect(model.failureCalls).toBe(1);
    // Safe push: P(fail) ~ 0; fast push: ~1 -> +2; at the threshold p = 0.5 per step -> 1 - 0.5^5.
    expect(withTerm[0] - base[0]).toBeLessThan(1e-6);
    expect(withTerm[1] - base[1]).toBeCloseTo(2, 5);
    expect(withTerm[2] - base[2]).toBeCloseTo(2 * (1 - 0.5 ** 5), 4);
    tf.dispose([z0, g]);
    model.dispose();
  });

  it('leaves models without a failure head unchanged', () => {
    const model = new LinearToyModel();
    const z0 = tf.tensor2d([[0, 0, 0.1]]);
    const g = tf.tensor2d([[0.1, 0, 0.1]]);
    const batch = new Float32Array([...seq(0.05), ...seq(0.25)]);
    const e = [0, 2].map((failureWeight) => modelCost({ model, z0, goal: g, space: 'latent', horizon: 5, bounds, options: { distance: 'l1', actionPenalty: 0.01, failureWeight } })(batch, 2));
    expect(Array.from(e[1])).toEqual(Array.from(e[0]));
    tf.dispose([z0, g]);
    model.dispose();
  });

  it('discards candidates whose failure logit is NaN and never chooses them', () => {
    const model = new FailingToyModel(true);
    const planner = createPlanner('jepa-cem', { env, model, settings: { actionPenalty: 0, iterations: 4, failureWeight: 2, horizon: 5, samples: 256 } });
    planner.begin(obsAt(0.05, 0.1, 0.1), 2);
    const plan = planner.plan(start);
    expect(plan.discarded).toBeGreaterThan(0);
    expect(Number.isFinite(plan.energy)).toBe(true);
    for (const s of [plan.actions, ...plan.elites]) for (let t = 0; t < plan.horizon; t++) expect(s[t * 3 + 1]).toBeLessThanOrEqual(0.1);
    planner.dispose();
    model.dispose();
  });

  it('keeps tf.memory flat over repeated cost calls with the head', () => {
    const model = new FailingToyModel();
    const z0 = tf.tensor2d([[0, 0, 0.1]]);
    const g = tf.tensor2d([[0.1, 0, 0.1]]);
    const cost = modelCost({ model, z0, goal: g, space: 'latent', horizon: 5, bounds, options: { distance: 'l1', actionPenalty: 0.01, failureWeight: 2 } });
    const batch = new Float32Array([...seq(0.05), ...seq(0.25)]);
    cost(batch, 2);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) cost(batch, 2);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z0, g]);
    model.dispose();
  });
});

describe('--failure-weight', () => {
  it('is on by default for the model planners and validated: finite and >= 0, as a UserError', () => {
    expect(SEARCH_DEFAULTS.failureWeight).toBeGreaterThan(0);
    for (const name of ['jepa-cem', 'jepa-mppi', 'generative-cem'] as const) {
      expect(resolveSettings(name).failureWeight).toBe(SEARCH_DEFAULTS.failureWeight);
    }
    expect(resolveSettings('jepa-cem', { failureWeight: 0 }).failureWeight).toBe(0);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      let err: unknown;
      try { resolveSettings('jepa-mppi', { failureWeight: bad }); } catch (e) { err = e; }
      expect(isUserError(err), String(bad)).toBe(true);
      expect((err as Error).message).toMatch(/--failure-weight must be a finite number >= 0/);
    }
  });

  it('is a plan/bench/serve flag that rejects a non-number without a stack trace', () => {
    for (const cmd of ['plan', 'bench', 'serve']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli.ts', cmd, '--failure-weight', 'lots'], { cwd: process.cwd(), encoding: 'utf8', timeout: 60_000 });
      expect(r.status, cmd).not.toBe(0);
      expect(r.stderr, cmd).toMatch(/--failure-weight <x>.*invalid.*finite number/);
      expect(r.stderr, cmd).not.toMatch(/\n\s+at /);
    }
  }, 60_000);
});

// The opt-in planner options that fragile's slow push needs: the rate penalty (steady executed
// velocities), the held-push lattice in the first iteration, and the keypoint dims' own goal
// distance. Each is checked for what it changes, on the linear toy model whose optimum is known.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createPlanner, effectiveSettings, resolveSettings, type PlannerContext } from '../../agent/planners/factory.ts';
import { formatSettings } from '../../agent/plan.ts';
import { keypointColumns, modelCost } from '../../agent/planners/energy.ts';
import { fillHeldLattice, flatBounds, LATTICE_DIRECTIONS, latticeSize, ratePerCandidate } from '../../agent/planners/sampling.ts';
import { runEpisodeSync } from '../../agent/mpc.ts';
import type { WorldModel } from '../../agent/worldModel.ts';
import { isUserError } from '../../sim/errors.ts';
import { floatListFlag } from '../../sim/flags.ts';
import { LinearToyModel, obsAt, PointEnv, TOY_BOUNDS } from './plannersToy.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const bounds = flatBounds(TOY_BOUNDS);

/** A horizon-long sequence holding one action. */
function held(horizon: number, vx: number, vz: number, h = 0.1): Float32Array {
  return Float32Array.from({ length: horizon * 3 }, (_, j) => [vx, vz, h][j % 3]);
}

describe('rate penalty', () => {
  it('is zero for a push held at the velocity executed last, and counts a jolt from it or from rest', () => {
    const steady = held(4, 0.1, -0.05);
    expect(ratePerCandidate(steady, 1, 4, bounds, Float32Array.from([0.1, -0.05, 0.1]))[0]).toBe(0);
    // From rest the first step is a jump of 0.1 and 0.05 m/s: (0.4^2 + 0.2^2) / (4 steps * 2 components).
    expect(ratePerCandidate(steady, 1, 4, bounds)[0]).toBeCloseTo((0.4 ** 2 + 0.2 ** 2) / 8, 6);
    // Heights do not count: only the velocity jolts the pusher into an object.
    const heights = Float32Array.from([0.1, 0, 0.02, 0.1, 0, 0.19]);
    expect(ratePerCandidate(heights, 1, 2, bounds, Float32Array.from([0.1, 0, 0.1]))[0]).toBe(0);
  });

  it('adds its weight times the rate to the energy, measured from the previous action', () => {
    const model = new LinearToyModel();
    const z0 = tf.tensor2d([[0, 0, 0.1]]);
    const goal = tf.tensor2d([[0.05, 0, 0.1]]);
    const jerky = Float32Array.from([0.2, 0, 0.1, 0, 0, 0.1, 0.2, 0, 0.1, 0, 0, 0.1]);
    const smooth = held(4, 0.1, 0);
    const batch = new Float32Array([...jerky, ...smooth]);
    const spec = { model, z0, goal, space: 'latent' as const, horizon: 4, bounds, previousAction: Float32Array.from([0.1, 0, 0.1]) };
    const plain = modelCost({ ...spec, options: { distance: 'l1', actionPenalty: 0 } })(batch, 2);
    const penalized = modelCost({ ...spec, options: { distance: 'l1', actionPenalty: 0, ratePenalty: 3 } })(batch, 2);
    const rate = ratePerCandidate(batch, 2, 4, bounds, spec.previousAction);
    expect(rate[1]).toBe(0);
    expect(rate[0]).toBeGreaterThan(0.1);
    for (let i = 0; i < 2; i++) expect(penalized[i]).toBeCloseTo(plain[i] + 3 * rate[i], 6);
    tf.dispose([z0, goal]);
    model.dispose();
  });

  it('makes the executed velocities of an MPC episode steadier', () => {
    expect(executedJolts({ settings: { ratePenalty: 5 } })).toBeLessThan(0.5 * executedJolts({ settings: { ratePenalty: 0 } }));
  });
});

/** Mean squared change of the executed velocity over a toy MPC episode of jepa-cem. */
function executedJolts(ctx: Pick<PlannerContext, 'settings' | 'task'>): number {
  const env = new PointEnv(0.001);
  const model = new LinearToyModel();
  const planner = createPlanner('jepa-cem', { env, model, settings: { horizon: 5, samples: 64, elites: 8, ...ctx.settings }, task: ctx.task });
  const executed: number[][] = [];
  const stepping = { ...env, spec: env.spec, reset: env.reset.bind(env), goalObservation: env.goalObservation.bind(env), outcome: env.outcome.bind(env),
    snapshot: env.snapshot.bind(env), restore: env.restore.bind(env),
    step: (a: Float32Array) => { executed.push([a[0], a[1]]); return env.step(a); } };
  runEpisodeSync(stepping, planner, 4, 11);
  planner.dispose();
  model.dispose();
  let sum = 0;
  for (let t = 1; t < executed.length; t++) sum += (executed[t][0] - executed[t - 1][0]) ** 2 + (executed[t][1] - executed[t - 1][1]) ** 2;
  return sum / (executed.length - 1);
}

describe('held-push lattice', () => {
  it('fills the batch from the end with every speed in every direction, keeps candidate 0 and clips', () => {
    const horizon = 3, n = 60;
    const mean = held(horizon, 0.01, 0.02, 0.07);
    const batch = new Float32Array(n * horizon * 3).fill(0.123);
    batch.set(mean, 0);
    fillHeldLattice(batch, n, mean, [0.05, 0.4], bounds);
    expect(latticeSize([0.05, 0.4])).toBe(2 * LATTICE_DIRECTIONS);
    expect(Array.from(batch.subarray(0, horizon * 3))).toEqual(Array.from(mean));
    const len = horizon * 3;
    // The last candidate is the first direction (+x) at the first speed, held for the whole horizon.
    const last = batch.subarray((n - 1) * len, n * len);
    for (let t = 0; t < horizon; t++) {
      expect(last[t * 3]).toBeCloseTo(0.05, 6);
      expect(last[t * 3 + 1]).toBeCloseTo(0, 6);
      expect(last[t * 3 + 2]).toBeCloseTo(0.07, 6);
    }
    // A quarter turn later: +z.
    const quarter = batch.subarray((n - 1 - LATTICE_DIRECTIONS / 4) * len, (n - LATTICE_DIRECTIONS / 4) * len);
    expect(quarter[0]).toBeCloseTo(0, 6);
    expect(quarter[1]).toBeCloseTo(0.05, 6);
    // 0.4 m/s is beyond the bounds: clipped per component, every value inside them.
    const fast = batch.subarray((n - 1 - LATTICE_DIRECTIONS) * len, (n - LATTICE_DIRECTIONS) * len);
    expect(fast[0]).toBeCloseTo(0.25, 6);
    for (let i = 0; i < 2 * LATTICE_DIRECTIONS; i++) {
      for (let j = 0; j < len; j++) {
        const v = batch[(n - 1 - i) * len + j];
        expect(v).toBeGreaterThanOrEqual(bounds.low[j % 3]);
        expect(v).toBeLessThanOrEqual(bounds.high[j % 3]);
      }
    }
    // Candidates before the lattice are left alone.
    expect(batch[(n - 1 - 2 * LATTICE_DIRECTIONS) * len]).toBe(Math.fround(0.123));
  });

  it('lets a narrow search find a slow held push that its Gaussian samples miss', () => {
    // The goal is 0.07 m/s held for 5 steps at 30 degrees; the Gaussian hardly leaves "stand still".
    const angle = Math.PI / 6, speed = 0.07, horizon = 5;
    const gx = speed * Math.cos(angle) * 0.1 * horizon, gz = speed * Math.sin(angle) * 0.1 * horizon;
    const plan = (lattice?: number[]) => {
      const model = new LinearToyModel();
      const planner = createPlanner('jepa-cem', {
        env: new PointEnv(), model, settings: { horizon, samples: 80, elites: 1, iterations: 1, initStd: 0.01, minStd: 0.01, actionPenalty: 0, lattice },
      });
      planner.begin(obsAt(gx, gz, 0.1), 1);
      const p = planner.plan(obsAt(0, 0, 0.1));
      planner.dispose();
      model.dispose();
      return p;
    };
    const without = plan();
    const withLattice = plan([0.05, 0.07]);
    expect(withLattice.actions[0]).toBeCloseTo(speed * Math.cos(angle), 4);
    expect(withLattice.actions[1]).toBeCloseTo(speed * Math.sin(angle), 4);
    // The held push's energy is what is left on the way there (the horizon weights count every step).
    expect(without.energy).toBeGreaterThan(2 * withLattice.energy);
  });
});

/** The toy model with a named scene part whose last two dims are "keypoints". */
class KeypointToyModel extends LinearToyModel {
  readonly sceneDims = 3;
  readonly keypointDims: number;
  constructor(keypointDims: number) {
    super();
    this.keypointDims = keypointDims;
  }
}

describe('keypoint distance', () => {
  it('adds the weighted distance of the keypoint dims (the end of the scene part) to the scene distance', () => {
    const model = new KeypointToyModel(2);
    expect(keypointColumns(model)).toEqual({ start: 1, size: 2 });
    const z0 = tf.tensor2d([[0, 0, 0.1]]);
    const goal = tf.tensor2d([[0.02, 0.01, 0.1]]);
    const seq = held(2, 0.05, 0);
    const spec = { model, z0, goal, space: 'latent' as const, horizon: 2, bounds };
    const base = modelCost({ ...spec, options: { distance: 'l1', actionPenalty: 0 } })(seq, 1)[0];
    const withKp = modelCost({ ...spec, options: { distance: 'l1', actionPenalty: 0, keypointWeight: 2 } })(seq, 1)[0];
    // Predicted z after 1 and 2 steps: (0.005, 0, 0.1) and (0.01, 0, 0.1); horizon weights 1/3, 2/3.
    // Keypoint dims (z, h) differ from the goal's (0.01, 0.1) by 0.01 and 0 at both steps: mean |.| 0.005.
    expect(withKp - base).toBeCloseTo(2 * 0.005, 6);
    tf.dispose([z0, goal]);
    model.dispose();
  });

  it('is refused for a model without keypoint dims and for pixel-space planning, with the fix', () => {
    const env = new PointEnv();
    const plain = new LinearToyModel();
    const attempt = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e = attempt(() => createPlanner('jepa-cem', { env, model: plain, settings: { keypointWeight: 1 } }));
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(/--keypoint-weight needs a model with keypoint dims/);
    const g = attempt(() => createPlanner('generative-cem', { env, model: new LinearToyModel(undefined, 'generative') as WorldModel, settings: { keypointWeight: 1 } }));
    expect(isUserError(g)).toBe(true);
    expect((g as Error).message).toMatch(/latent-space planning/);
    expect(() => keypointColumns(plain)).toThrow(/train --keypoints/);
    plain.dispose();
  });
});

describe('option checks', () => {
  it('refuses a lattice larger than the samples, bad speeds and negative weights, as user errors', () => {
    const env = new PointEnv();
    const model = new LinearToyModel();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ lattice: [0.05, 0.07, 0.09], samples: 64 }, /fills 72 candidates .* more than --samples 64 leaves/],
      [{ lattice: [0.05, -0.1] }, /--lattice speeds must be finite numbers > 0/],
      [{ ratePenalty: -1 }, /--rate-penalty must be a finite number >= 0/],
      [{ keypointWeight: Number.NaN }, /--keypoint-weight must be a finite number >= 0/],
    ];
    for (const [settings, message] of cases) {
      let caught: unknown;
      try {
        createPlanner('jepa-cem', { env, model, settings });
      } catch (e) {
        caught = e;
      }
      expect(isUserError(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
    // The oracle searches the simulator, not the model: the lattice does not constrain its budget.
    expect(() => createPlanner('oracle', { env, settings: { lattice: [0.05, 0.07, 0.09] } }).dispose()).not.toThrow();
    model.dispose();
  });

  it('parses --lattice as a list of numbers or off, and names the bad item', () => {
    const parse = floatListFlag(1e-6, 10, 'off');
    expect(parse('0.05, 0.07,0.09')).toEqual([0.05, 0.07, 0.09]);
    expect(parse('off')).toEqual([]);
    expect(() => floatListFlag(1e-6, 10)('off')).toThrow(/'off': expected a finite number/);
    expect(() => parse('0.05,fast')).toThrow(/'fast': expected a finite number/);
    expect(() => parse('0.05,0')).toThrow(/'0': expected a number from/);
    expect(() => parse(',')).toThrow(/comma-separated list of numbers/);
  });
});

describe('a task\'s planner defaults', () => {
  const task = { plannerDefaults: { failureWeight: 3, ratePenalty: 2, lattice: [0.05, 0.07, 0.09], keypointWeight: 2, heightStd: 0.05 } };

  it('sit between the global defaults and the flags, for the model planners only', () => {
    const s = resolveSettings('jepa-cem', { ratePenalty: 0, lattice: [] }, task.plannerDefaults);
    expect(s.ratePenalty).toBe(0);
    expect(s.lattice).toEqual([]);
    expect(s.failureWeight).toBe(3);
    expect(s.heightStd).toBe(0.05);
    expect(resolveSettings('jepa-cem', {}).failureWeight).toBe(10);
    expect(resolveSettings('jepa-mppi', {}, task.plannerDefaults).keypointWeight).toBe(2);
    const oracle = effectiveSettings('oracle', { task }).settings;
    expect([oracle.ratePenalty, oracle.lattice, oracle.keypointWeight]).toEqual([0, undefined, 0]);
  });

  it('give the oracle its own search through oracleDefaults, below the flags, and only the oracle', () => {
    const own = { ...task, oracleDefaults: { horizon: 12, samples: 64, elites: 8 } };
    const oracle = effectiveSettings('oracle', { task: own });
    expect([oracle.settings.horizon, oracle.settings.samples, oracle.settings.elites, oracle.settings.iterations]).toEqual([12, 64, 8, 2]);
    expect(oracle.fromTask.sort()).toEqual(['elites', 'horizon', 'samples']);
    const flagged = effectiveSettings('oracle', { task: own, settings: { horizon: 7 } });
    expect(flagged.settings.horizon).toBe(7);
    expect(flagged.fromTask).not.toContain('horizon');
    expect(effectiveSettings('oracle', {}).settings.horizon).toBe(5);
    expect(effectiveSettings('jepa-cem', { task: own }).settings.samples).toBe(192);
    // The oracle really searches with it: a horizon-12 plan is 12 actions long.
    const env = new PointEnv();
    const planner = createPlanner('oracle', { env, task: own });
    planner.begin(obsAt(0.05, 0.03, 0.1), 1);
    expect(planner.plan(obsAt(0, 0, 0.1)).actions.length).toBe(12 * 3);
    planner.dispose();
  });

  it('set the model planners\' search budget, below the flags, and the planner searches with it', () => {
    const budget = { plannerDefaults: { samples: 16, iterations: 3 } };
    const kp = new KeypointToyModel(2);
    const own = effectiveSettings('jepa-cem', { model: kp, task: budget, settings: { elites: 4 } });
    expect([own.settings.samples, own.settings.iterations]).toEqual([16, 3]);
    expect(own.fromTask.sort()).toEqual(['iterations', 'samples']);
    expect(effectiveSettings('jepa-cem', { model: kp, task: budget, settings: { iterations: 1, elites: 4 } }).settings.iterations).toBe(1);
    // The oracle keeps its own budget.
    expect(effectiveSettings('oracle', { task: budget }).settings.iterations).toBe(2);
    const env = new PointEnv();
    const planner = createPlanner('jepa-cem', { env, model: kp, task: budget, settings: { elites: 4 } });
    planner.begin(obsAt(0.05, 0.03, 0.1), 1);
    expect(planner.plan(obsAt(0, 0, 0.1)).energyPerIteration).toHaveLength(3);
    planner.dispose();
    // A task budget smaller than the elites is refused, and the error says where the samples came from.
    expect(() => createPlanner('jepa-cem', { env, model: kp, task: budget })).toThrow(/--elites 30 is larger than --samples 16 \(the task's own default\)/);
    kp.dispose();
  });

  it('change what the planner does: the task\'s rate penalty steadies an episode as the flag does, and the flag turns it off', () => {
    const plain = executedJolts({});
    const fromTask = { plannerDefaults: { ratePenalty: 5 } };
    expect(executedJolts({ task: fromTask })).toBe(executedJolts({ settings: { ratePenalty: 5 } }));
    expect(executedJolts({ task: fromTask })).toBeLessThan(0.5 * plain);
    expect(executedJolts({ task: fromTask, settings: { ratePenalty: 0 } })).toBe(plain);
  });

  it('apply a keypoint weight only where the model has keypoint dims; the flag still insists', () => {
    const env = new PointEnv();
    const plain = new LinearToyModel();
    expect(() => createPlanner('jepa-cem', { env, model: plain, task }).dispose()).not.toThrow();
    expect(() => createPlanner('jepa-cem', { env, model: plain, task, settings: { keypointWeight: 1 } })).toThrow(/needs a model with keypoint dims/);
    // generative-cem compares images: the task's keypoint weight is not refused, it is not used.
    const generative = Object.assign(new LinearToyModel(undefined, 'generative'), { keypointDims: 2, decode: (z: tf.Tensor2D) => tf.clone(z) }) as WorldModel;
    expect(() => createPlanner('generative-cem', { env, model: generative, task }).dispose()).not.toThrow();
    // With keypoints the task's weight is in the energy: the same plan scores differently.
    const kp = new KeypointToyModel(2);
    const with2 = createPlanner('jepa-cem', { env, model: kp, task: { plannerDefaults: { keypointWeight: 2 } }, settings: { samples: 8, elites: 2, iterations: 1 } });
    const without = createPlanner('jepa-cem', { env, model: kp, settings: { samples: 8, elites: 2, iterations: 1 } });
    const energies = [with2, without].map((p) => {
      p.begin(obsAt(0.05, 0.03, 0.1), 1);
      const e = p.plan(obsAt(0, 0, 0.1)).energy;
      p.dispose();
      return e;
    });
    expect(energies[0]).toBeGreaterThan(energies[1]);
    [plain, generative, kp].forEach((m) => m.dispose());
  });

  it('are printed by plan as the flags that repeat the run, naming the ones the task set', () => {
    const kp = new KeypointToyModel(2);
    const plain = new LinearToyModel();
    const withKp = effectiveSettings('jepa-cem', { model: kp, task, settings: { ratePenalty: 0.5 } });
    // The flag's rate penalty is not the task's; the rest are.
    expect(withKp.fromTask.sort()).toEqual(['failureWeight', 'heightStd', 'keypointWeight', 'lattice']);
    const line = formatSettings('jepa-cem', withKp.settings, withKp.fromTask, 'gentle');
    expect(line).toContain('--rate-penalty 0.5 --lattice 0.05,0.07,0.09 --keypoint-weight 2');
    expect(line).toMatch(/\(task gentle sets --failure-weight, --height-std, --keypoint-weight, --lattice\)$/);
    // Without keypoint dims the task's keypoint weight is skipped, and the line says 0.
    const noKp = effectiveSettings('jepa-cem', { model: plain, task });
    expect(noKp.fromTask).not.toContain('keypointWeight');
    expect(formatSettings('jepa-cem', noKp.settings, noKp.fromTask, 'gentle')).toContain('--keypoint-weight 0');
    // The oracle keeps its own search: nothing comes from the task.
    const oracle = effectiveSettings('oracle', { task });
    expect(oracle.fromTask).toEqual([]);
    expect(formatSettings('oracle', oracle.settings, oracle.fromTask, 'gentle')).toMatch(/^settings: --samples \d+ --elites \d+ --iterations \d+ --horizon \d+$/);
    [kp, plain].forEach((m) => m.dispose());
  });
});

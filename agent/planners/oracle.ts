// Baseline and upper bound: CEM whose "model" is the simulator itself. Each candidate is rolled out
// from a snapshot of the live episode and scored with the task's own success distance; bursts and
// failures are priced far above any distance. This is the only planner that sees privileged
// state (through the simulator), which is the point: it shows what a perfect model would achieve
// and that every task is solvable by a short-horizon planner.
import { Rng } from '../../sim/rng.ts';
import type { Observation, Vec3 } from '../../sim/types.ts';
import { cemOptimize, type CemOptions } from './cem.ts';
import { horizonWeights } from './energy.ts';
import { effortPerCandidate, flatBounds, holdSequence, shiftSequence, type FlatBounds } from './sampling.ts';
import { ACTION_DIM, type CostFn, type Planner, type PlanResult, type SimulatorHandle } from './types.ts';

export const ORACLE_COSTS = { burst: 1000, failure: 100, success: -1 } as const;

export interface OracleOptions extends CemOptions {
  actionPenalty: number;
  /**
   * Extra steps after the horizon with the pusher held still (zero velocity, last height): a
   * bottle still moving or toppling at the end of the horizon is judged where it comes to rest.
   */
  settleSteps: number;
  /**
   * Weight (per radian) of |tilt - goal tilt| added to the task distance when the task's state has
   * a 'tilt' entry. The task distance alone ignores how upright the bottle is (slide), so a plan
   * could lean the bottle further every step and only "see" the fall once it happens.
   */
  tiltWeight: number;
  /**
   * Weight (per metre) of the horizontal pusher-to-object distance, when the state has 'x' and 'z'.
   * Until the pusher touches the bottle every candidate leaves the task distance unchanged, and
   * "stand still" wins that flat landscape forever; this small term breaks the tie toward contact.
   */
  approachWeight: number;
}

/** The task's guidance (TaskDefinition.oracleGuidance): metres still to go, added to the task's distance. */
export type OracleGuidance = (state: Float32Array, pusher: Vec3, goalState: Float32Array) => number;

/** Few samples and iterations: every candidate costs `horizon` real simulator steps. */
export const ORACLE_DEFAULTS: OracleOptions = {
  samples: 24, elites: 5, iterations: 2, horizon: 5, initStd: 0.9, minStd: 0.05, actionPenalty: 0.001, settleSteps: 2, tiltWeight: 0.2, approachWeight: 0.1, pick: 'lower', correlation: 0.6,
};

export class OraclePlanner implements Planner {
  readonly name = 'oracle' as const;
  private readonly bounds: FlatBounds;
  private rng = new Rng(0);
  private warm: Float32Array | undefined;
  private readonly tiltIndex: number;
  private readonly xIndex: number;
  private readonly zIndex: number;
  private goalTilt = 0;
  private goalState: Float32Array = new Float32Array(0);

  /**
   * Rollouts run in the live episode's environment, which is restored to its snapshot after every
   * candidate and at the end. (Restoring into a second Env was tried: Rapier's contact caches are
   * not part of the snapshot, and a fresh world diverged by about a centimetre within one step.)
   */
  constructor(private readonly live: SimulatorHandle, private readonly options: OracleOptions = ORACLE_DEFAULTS,
    private readonly guidance?: OracleGuidance) {
    this.bounds = flatBounds(live.spec.actionBounds);
    this.tiltIndex = live.spec.stateLabels?.indexOf('tilt') ?? -1;
    this.xIndex = live.spec.stateLabels?.indexOf('x') ?? -1;
    this.zIndex = live.spec.stateLabels?.indexOf('z') ?? -1;
  }

  /** The oracle may read privileged state: the goal's tilt comes from the goal observation's state. */
  begin(goal: Observation, seed: number): void {
    this.rng = new Rng(seed);
    this.warm = undefined;
    this.goalTilt = this.tiltIndex >= 0 && goal.state.length > this.tiltIndex ? goal.state[this.tiltIndex] : 0;
    this.goalState = Float32Array.from(goal.state);
  }

  private shaped(distance: number, obs: Observation): number {
    const { state, proprio } = obs;
    let d = distance;
    if (this.guidance) return d + this.guidance(state, [proprio[0], proprio[1], proprio[2]], this.goalState);
    if (this.tiltIndex >= 0 && state.length > this.tiltIndex) d += this.options.tiltWeight * Math.abs(state[this.tiltIndex] - this.goalTilt);
    if (this.xIndex >= 0 && this.zIndex >= 0 && state.length > Math.max(this.xIndex, this.zIndex)) {
      d += this.options.approachWeight * Math.hypot(state[this.xIndex] - proprio[0], state[this.zIndex] - proprio[2]);
    }
    return d;
  }

  private rolloutCost(snapshot: unknown): CostFn {
    const sim = this.live;
    const { horizon, actionPenalty, settleSteps } = this.options;
    const weights = horizonWeights(horizon);
    return (candidates: Float32Array, n: number): Float64Array => {
      const out = new Float64Array(n);
      const len = horizon * ACTION_DIM;
      for (let i = 0; i < n; i++) {
        sim.restore(snapshot);
        let cost = 0;
        const last = i * len + (horizon - 1) * ACTION_DIM;
        const hold = Float32Array.from([0, 0, candidates[last + 2]]);
        for (let t = 0; t < horizon + settleSteps; t++) {
          const r = sim.step(t < horizon ? candidates.subarray(i * len + t * ACTION_DIM, i * len + (t + 1) * ACTION_DIM) : hold);
          const o = r.info.outcome;
          const left = Math.max(0, horizon - t);
          if (o.success) { cost = ORACLE_COSTS.success + 0.01 * t; break; }
          if (r.info.burst || o.kind === 'burst') { cost = ORACLE_COSTS.burst + left; break; }
          if (r.terminated) { cost = ORACLE_COSTS.failure + left; break; }
          const d = this.shaped(o.distance, r.observation);
          if (t < horizon) cost += weights[t] * d;
          else if (t === horizon + settleSteps - 1) cost += d * weights[horizon - 1];
          if (r.truncated) {
            // The episode limit falls inside the horizon: what counts is where it stands now.
            if (t < horizon - 1) cost += d * weights.slice(t + 1).reduce((s, w) => s + w, 0);
            break;
          }
        }
        out[i] = cost;
      }
      if (actionPenalty > 0) {
        const effort = effortPerCandidate(candidates, n, horizon, this.bounds);
        for (let i = 0; i < n; i++) out[i] += actionPenalty * effort[i];
      }
      return out;
    };
  }

  plan(observation: Observation): PlanResult {
    const start = performance.now();
    const snapshot = this.live.snapshot();
    const horizon = this.options.horizon;
    let result;
    try {
      const init = this.warm ?? holdSequence(this.bounds, horizon, observation.proprio[1]);
      result = cemOptimize(this.rolloutCost(snapshot), init, this.bounds, { ...this.options, pick: 'lower' }, this.rng);
    } finally {
      this.live.restore(snapshot);
    }
    this.warm = result.best;
    return {
      planner: this.name, horizon, actions: Float32Array.from(result.best),
      energy: Number.isFinite(result.bestEnergy) ? result.bestEnergy : Number.NaN,
      elites: result.elites, eliteEnergies: result.eliteEnergies, energyPerIteration: result.energyPerIteration,
      discarded: result.discarded, planningMs: performance.now() - start,
    };
  }

  advance(executed: number): void {
    if (this.warm) this.warm = shiftSequence(this.warm, executed, this.options.horizon);
  }

  dispose(): void {}
}

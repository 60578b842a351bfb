// Baseline: every action uniform within the task's action bounds. No model, no goal: the floor
// every other planner must beat.
import { Rng } from '../../sim/rng.ts';
import type { ActionBounds, Observation } from '../../sim/types.ts';
import { flatBounds, uniformSequence, type FlatBounds } from './sampling.ts';
import type { Planner, PlanResult } from './types.ts';

export class RandomPlanner implements Planner {
  readonly name = 'random' as const;
  private readonly bounds: FlatBounds;
  private rng = new Rng(0);

  constructor(actionBounds: ActionBounds, private readonly horizon: number) {
    this.bounds = flatBounds(actionBounds);
  }

  begin(_goal: Observation, seed: number): void {
    this.rng = new Rng(seed);
  }

  plan(): PlanResult {
    const start = performance.now();
    const actions = uniformSequence(this.rng, this.bounds, this.horizon);
    return {
      planner: this.name, horizon: this.horizon, actions, energy: Number.NaN,
      elites: [Float32Array.from(actions)], eliteEnergies: [Number.NaN], energyPerIteration: [], discarded: 0,
      planningMs: performance.now() - start,
    };
  }

  advance(): void {}

  dispose(): void {}
}

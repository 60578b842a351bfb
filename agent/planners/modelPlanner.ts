// Planners that search with a learned model: jepa-cem and jepa-mppi (latent distance to the goal
// embedding) and generative-cem (pixel distance of decoded predictions to the goal image).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../sim/rng.ts';
import type { ActionBounds, Observation } from '../../sim/types.ts';
import type { WorldModel } from '../worldModel.ts';
import { cemOptimize, type OptimizeResult } from './cem.ts';
import { mppiOptimize } from './mppi.ts';
import type { SearchOptions } from './searchLoop.ts';
import { imaginePaths, modelCost, type EnergyOptions } from './energy.ts';
import { flatBounds, holdSequence, shiftSequence, type FlatBounds } from './sampling.ts';
import { ACTION_DIM, type PlanCallOptions, type Planner, type PlannerName, type PlanResult } from './types.ts';

/** Everything the model planners take: the shared search loop's options, the energy's, MPPI's temperature. */
export interface SearchSettings extends EnergyOptions, SearchOptions {
  /** MPPI only. */
  temperature: number;
  correlation: number;
}

export class ModelPlanner implements Planner {
  readonly name: PlannerName;
  private readonly bounds: FlatBounds;
  private goal: tf.Tensor2D | undefined;
  private goalDepth: Float32Array | undefined;
  private rng = new Rng(0);
  private warm: Float32Array | undefined;
  /** The action executed last (for the rate penalty); undefined at an episode's start. */
  private lastAction: Float32Array | undefined;

  constructor(name: 'jepa-cem' | 'jepa-mppi' | 'generative-cem', private readonly model: WorldModel,
    actionBounds: ActionBounds, private readonly settings: SearchSettings) {
    this.name = name;
    this.bounds = flatBounds(actionBounds);
    if (name === 'generative-cem' && !model.decode) {
      throw new Error(`planner generative-cem needs a generative model (with decode); got a '${model.kind}' model`);
    }
  }

  private get space(): 'latent' | 'pixel' {
    return this.name === 'generative-cem' ? 'pixel' : 'latent';
  }

  /**
   * The goal image shows the objects at the goal without the pusher; its proprio is re-paired with
   * the current pusher position at every step (see plan), so the energy is about the objects and
   * never pulls the pusher back to where the episode started.
   */
  begin(goal: Observation, seed: number): void {
    this.goal?.dispose();
    this.goal = undefined;
    this.goalDepth = Float32Array.from(goal.depth);
    if (this.space === 'pixel') this.goal = tf.tensor2d(goal.depth, [1, goal.depth.length]);
    this.rng = new Rng(seed);
    this.warm = undefined;
    this.lastAction = undefined;
  }

  /** z0 and the goal latent [1, D] each (one batched encode of observation and goal). */
  private encodePair(observation: Observation, previous: Observation | undefined): { z0: tf.Tensor2D; goal: tf.Tensor2D; owned: tf.Tensor[] } {
    const before = previous ?? observation;
    if (this.space === 'pixel') {
      const z0 = this.model.encode([observation.depth], [observation.proprio], undefined, { depth: [before.depth], proprio: [before.proprio] });
      return { z0, goal: this.goal!, owned: [z0] };
    }
    // The goal is a scene at rest: its previous frame is itself.
    const both = this.model.encode([observation.depth, this.goalDepth!], [observation.proprio, observation.proprio], undefined,
      { depth: [before.depth, this.goalDepth!], proprio: [before.proprio, observation.proprio] });
    const [z0, goal] = tf.split(both, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
    both.dispose();
    return { z0, goal, owned: [z0, goal] };
  }

  plan(observation: Observation, options: PlanCallOptions = {}): PlanResult {
    if (!this.goalDepth) throw new Error(`${this.name}: plan() called before begin(goal)`);
    const start = performance.now();
    const s = this.settings;
    const { z0, goal, owned } = this.encodePair(observation, options.previous);
    try {
      const cost = modelCost({
        model: this.model, z0, goal, space: this.space, horizon: s.horizon, bounds: this.bounds,
        options: { distance: s.distance, actionPenalty: s.actionPenalty, failureWeight: s.failureWeight, ratePenalty: s.ratePenalty, keypointWeight: s.keypointWeight, approachWeight: s.approachWeight },
        previousAction: this.lastAction,
      });
      const init = this.warm ?? holdSequence(this.bounds, s.horizon, observation.proprio[1]);
      const result: OptimizeResult = this.name === 'jepa-mppi'
        ? mppiOptimize(cost, init, this.bounds, { ...s }, this.rng)
        : cemOptimize(cost, init, this.bounds, { ...s }, this.rng);
      this.warm = result.best;
      const planningMs = performance.now() - start;
      const imagined = options.imagine ? imaginePaths(this.model, z0, result.elites, s.horizon) : undefined;
      return {
        planner: this.name,
        horizon: s.horizon,
        actions: Float32Array.from(result.best),
        energy: Number.isFinite(result.bestEnergy) ? result.bestEnergy : Number.NaN,
        elites: result.elites,
        eliteEnergies: result.eliteEnergies,
        energyPerIteration: result.energyPerIteration,
        discarded: result.discarded,
        planningMs,
        imagined: imagined ? { labels: [...this.model.probeLabels], paths: imagined } : undefined,
      };
    } finally {
      tf.dispose(owned);
    }
  }

  advance(executed: number): void {
    if (this.warm && executed > 0) {
      const last = Math.min(executed, this.warm.length / ACTION_DIM) - 1;
      this.lastAction = this.warm.slice(last * ACTION_DIM, (last + 1) * ACTION_DIM);
    }
    if (this.warm) this.warm = shiftSequence(this.warm, executed, this.settings.horizon);
  }

  dispose(): void {
    this.goal?.dispose();
    this.goal = undefined;
    this.goalDepth = undefined;
  }
}

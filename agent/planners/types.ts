// The contract between planners and whoever drives them (the MPC loop, the benchmark, the viewer).
// A plan is a sequence of `horizon` actions, stored flat as [horizon * 3] (vx, vz, height per step).
import type { Action, ActionBounds, Observation, Outcome, StepResult } from '../../sim/types.ts';

export const PLANNER_NAMES = ['jepa-cem', 'jepa-mppi', 'generative-cem', 'oracle', 'random'] as const;
export type PlannerName = (typeof PLANNER_NAMES)[number];

/** Which planners need a trained model, and of which kind. */
export function modelKindFor(name: PlannerName): 'jepa' | 'generative' | undefined {
  if (name === 'jepa-cem' || name === 'jepa-mppi') return 'jepa';
  if (name === 'generative-cem') return 'generative';
  return undefined;
}

export const ACTION_DIM = 3;

/** Energy of one optimizer iteration, for the viewer's "energy over iterations" plot. */
export interface IterationEnergy {
  /** Lowest finite energy among this iteration's candidates. */
  best: number;
  /** Mean energy of this iteration's elites (CEM) or of its top-k candidates (MPPI). */
  eliteMean: number;
}

/** Imagined future of one elite, read from predicted latents by the model's probe (display only). */
export interface ImaginedPath {
  /** Probe output names, e.g. ['bottle_x', 'bottle_z', 'tilt']. */
  labels: string[];
  /** Per elite: (horizon + 1) * labels.length values; row 0 is the current observation. */
  paths: Float32Array[];
}

export interface PlanResult {
  planner: PlannerName;
  horizon: number;
  /** The chosen action sequence, horizon * 3 values; the MPC loop executes its first action(s). */
  actions: Float32Array;
  /** Energy of the chosen sequence (NaN for `random`, which does not score). */
  energy: number;
  /** The final iteration's elites (best first): their sequences and energies. */
  elites: Float32Array[];
  eliteEnergies: number[];
  energyPerIteration: IterationEnergy[];
  /** Candidates whose energy was NaN or infinite (discarded, never chosen). */
  discarded: number;
  /** Wall-clock time of this plan() call, including encoding the observation. */
  planningMs: number;
  /** Only when requested with `imagine: true` and the model has probe outputs. */
  imagined?: ImaginedPath;
}

export interface PlanCallOptions {
  /** Also roll the elites through the model's probe for drawing (costs one small extra rollout). */
  imagine?: boolean;
  /** The observation one step before this one (absent at an episode's start); two-frame models need it. */
  previous?: Observation;
}

export interface Planner {
  readonly name: PlannerName;
  /**
   * Start an episode: the goal is an observation (the planner encodes it; it never reads
   * `goal.state`). `seed` reseeds the planner's RNG and clears the warm start, so every episode
   * is reproducible on its own, whatever ran before it.
   */
  begin(goal: Observation, seed: number): void;
  plan(observation: Observation, options?: PlanCallOptions): PlanResult;
  /** Tell the planner how many actions of the last plan were executed (for the warm start). */
  advance(executed: number): void;
  dispose(): void;
}

/**
 * The slice of sim/env.ts's Env the oracle uses. Structural, so the real Env fits and tests may
 * pass a stand-in.
 */
export interface SimulatorHandle {
  snapshot(): unknown;
  restore(snapshot: unknown): void;
  step(action: Action): StepResult;
  outcome(): Outcome;
  readonly spec: { actionBounds: ActionBounds; stateLabels?: string[] };
}

/**
 * Scores a batch of candidate sequences: `candidates` holds n * horizon * 3 values (candidate-major).
 * Returns n energies; NaN/Infinity marks a candidate to discard.
 */
export type CostFn = (candidates: Float32Array, n: number) => Float64Array;

// The programmatic API: `import { makeEnv, loadWorldModel, createPlanner } from 'jepa-mpc'`.
// A small surface over the same library code the CLI calls, so a script plans exactly as
// `jepa-mpc plan` does (docs/api.md).
import type { Env } from './sim/env.ts';
import type { TaskDefinition } from './sim/task.ts';
import { loadTask } from './sim/tasks/registry.ts';
import { initBackend, type BackendChoice } from './agent/backend.ts';
import { loadWorldModel as loadCheckpoint } from './agent/checkpoint.ts';
import { envForModel } from './agent/plan.ts';
import type { WorldModel } from './agent/worldModel.ts';

export interface MakeEnvOptions {
  /** A built-in task id ('slide', 'tip', 'fragile'), a path to a task file, or a TaskDefinition. */
  task: string | TaskDefinition;
  /** The model that will plan in it: the camera then renders what the model was trained on. */
  model?: WorldModel;
  /** Distractor level; default the model's (a different one is refused). */
  distractors?: number;
}

/** An environment for a task; with a model, depth images match the model's camera and scene. */
export async function makeEnv(o: MakeEnvOptions): Promise<Env> {
  return envForModel(typeof o.task === 'string' ? await loadTask(o.task) : o.task, o.model, o.distractors);
}

/** A trained checkpoint (e.g. 'models/world'), after starting a tfjs backend (default: the fastest available). */
export async function loadWorldModel(dir: string, opts: { backend?: BackendChoice } = {}): Promise<WorldModel> {
  await initBackend(opts.backend ?? 'auto');
  return loadCheckpoint(dir);
}

export { Env } from './sim/env.ts';
export { loadTask, builtinTasks } from './sim/tasks/registry.ts';
export { createPlanner } from './agent/planners/factory.ts';
export { runEpisode, runEpisodeSync } from './agent/mpc.ts';
export { evalResetSeed, evalPlannerSeed } from './agent/plan.ts';
export { UserError } from './sim/errors.ts';
export type { TaskDefinition } from './sim/task.ts';
export type { WorldModel } from './agent/worldModel.ts';
export type { Planner, PlannerName } from './agent/planners/types.ts';
export type { EpisodeResult } from './agent/mpc.ts';
export type { BackendChoice } from './agent/backend.ts';

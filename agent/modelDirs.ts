// Where the commands look for trained models when none is named. One world model serves every
// built-in task (its data spans their physics), so plan, bench and serve share one convention:
// <models>/world for the JEPA planners and <models>/world-generative for generative-cem. The
// per-task layout (<models>/<task>, <models>/<task>-generative) stays readable by bench for
// comparisons.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { modelKindFor, type PlannerName } from './planners/types.ts';

export const MODELS_DIR = 'models';
export const MODEL_LAYOUTS = ['world', 'per-task'] as const;
export type ModelLayout = (typeof MODEL_LAYOUTS)[number];

/** The checkpoint a planner uses for a task under a layout; undefined for planners without a model. */
export function modelDirFor(modelsDir: string, taskId: string, planner: PlannerName, layout: ModelLayout = 'world'): string | undefined {
  const kind = modelKindFor(planner);
  if (!kind) return undefined;
  const base = layout === 'world' ? 'world' : taskId;
  return join(modelsDir, kind === 'jepa' ? base : `${base}-generative`);
}

/** A planner's default checkpoint when the user names none: the shipped world model, if trained. */
export function defaultModelFor(planner: PlannerName, modelsDir = MODELS_DIR,
  hasModel: (dir: string) => boolean = (dir) => existsSync(join(dir, 'config.json'))): string | undefined {
  const dir = modelDirFor(modelsDir, '', planner, 'world');
  return dir !== undefined && hasModel(dir) ? dir : undefined;
}

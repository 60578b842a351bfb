// One place that turns a planner name plus settings into a Planner, with the documented defaults.
// The plan/bench commands and the viewer all build planners here, so they behave the same.
import { UserError } from '../../sim/errors.ts';
import type { TaskDefinition, TaskOracleDefaults, TaskPlannerDefaults } from '../../sim/task.ts';
import type { WorldModel } from '../worldModel.ts';
import { CEM_DEFAULTS } from './cem.ts';
import { MPPI_DEFAULTS } from './mppi.ts';
import { ModelPlanner, type SearchSettings } from './modelPlanner.ts';
import { ORACLE_DEFAULTS, OraclePlanner } from './oracle.ts';
import { RandomPlanner } from './random.ts';
import { LATTICE_DIRECTIONS, latticeSize } from './sampling.ts';
import { modelKindFor, type Planner, type PlannerName, type SimulatorHandle } from './types.ts';

/** Defaults of the model-based planners (generative-cem gets the same search budget as jepa-cem). */
export const SEARCH_DEFAULTS: SearchSettings = {
  samples: CEM_DEFAULTS.samples,
  elites: CEM_DEFAULTS.elites,
  iterations: CEM_DEFAULTS.iterations,
  horizon: CEM_DEFAULTS.horizon,
  initStd: CEM_DEFAULTS.initStd,
  minStd: CEM_DEFAULTS.minStd,
  temperature: MPPI_DEFAULTS.temperature,
  // RMS over the compared dims: with models/world jepa-cem plans tip and slide-far better than
  // with the mean |.| and no task worse (docs/design-decisions.md).
  distance: 'l2',
  actionPenalty: 0.01,
  // Weight of P(fail within the horizon) from the model's failure head (no effect without one).
  failureWeight: 10,
  correlation: 0.6,
  // Off by default; fragile's plannerDefaults turn them on (docs/design-decisions.md).
  ratePenalty: 0,
  keypointWeight: 0,
  // Weight of the body's distance from the approach head's answer (no effect without the head).
  // Off unless the task sets it, as slide-far does (docs/design-decisions.md).
  approachWeight: 0,
};

export interface PlannerContext {
  /** The live episode's environment: action bounds for all planners, the simulator for `oracle`. */
  env: SimulatorHandle;
  /** Needed by jepa-cem / jepa-mppi (a 'jepa' model) and generative-cem (a 'generative' model). */
  model?: WorldModel;
  /** Overrides; unset fields take the planner's defaults. */
  settings?: Partial<SearchSettings>;
  /** The task's own defaults (TaskDefinition.plannerDefaults, oracleDefaults), below the overrides. */
  task?: Pick<TaskDefinition, 'plannerDefaults' | 'oracleDefaults' | 'oracleGuidance'>;
}

/**
 * The effective settings for a planner: its defaults, then the task's layer for it (see
 * taskLayerFor), then the given overrides. `lattice: []` turns a task's lattice off.
 */
export function resolveSettings(name: PlannerName, overrides: Partial<SearchSettings> = {}, task?: TaskPlannerDefaults | TaskOracleDefaults): SearchSettings {
  const base: SearchSettings = name === 'oracle'
    ? { ...SEARCH_DEFAULTS, ...ORACLE_DEFAULTS }
    : name === 'jepa-mppi' ? { ...SEARCH_DEFAULTS, samples: MPPI_DEFAULTS.samples, iterations: MPPI_DEFAULTS.iterations } : SEARCH_DEFAULTS;
  const defined = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const fromTask = task ? defined(task) : {};
  const s = { ...base, ...fromTask, ...defined(overrides) } as SearchSettings;
  if (s.failureWeight !== undefined && !(Number.isFinite(s.failureWeight) && s.failureWeight >= 0)) {
    throw new UserError(`--failure-weight must be a finite number >= 0; got ${s.failureWeight}`,
      `pass e.g. --failure-weight ${SEARCH_DEFAULTS.failureWeight} (0 turns the failure term off)`);
  }
  if (s.heightStd !== undefined && !(Number.isFinite(s.heightStd) && s.heightStd > 0)) {
    throw new UserError(`--height-std must be a finite number > 0; got ${s.heightStd}`,
      'pass e.g. --height-std 0.2 (the push height sampled 5x narrower than the velocities) or 1 (as widely)');
  }
  for (const [flag, v] of [['--rate-penalty', s.ratePenalty], ['--keypoint-weight', s.keypointWeight], ['--approach-weight', s.approachWeight]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
      throw new UserError(`${flag} must be a finite number >= 0; got ${v}`, `pass e.g. ${flag} 1 (0 turns it off)`);
    }
  }
  if (s.lattice !== undefined && s.lattice.some((v) => !(Number.isFinite(v) && v > 0))) {
    throw new UserError(`--lattice speeds must be finite numbers > 0; got ${s.lattice.join(',')}`, 'pass pusher speeds in m/s, e.g. --lattice 0.05,0.07,0.09');
  }
  if (s.elites > s.samples) {
    const samplesFromTask = (fromTask as Partial<SearchSettings>).samples !== undefined && overrides.samples === undefined;
    throw new UserError(`--elites ${s.elites} is larger than --samples ${s.samples}${samplesFromTask ? ' (the task\'s own default)' : ''}`,
      'choose fewer elites than samples, e.g. --elites 30 --samples 256');
  }
  return s;
}

/**
 * The task's defaults that apply to this planner: for the model planners its plannerDefaults, a
 * keypoint weight only where there are keypoint dims to weigh and latents to compare (so one task
 * file serves every model); for the oracle its oracleDefaults; random has no search.
 */
function taskLayerFor(name: PlannerName, model: WorldModel | undefined, task: PlannerContext['task']): TaskPlannerDefaults | TaskOracleDefaults | undefined {
  if (name === 'oracle') return task?.oracleDefaults;
  const kind = modelKindFor(name);
  const defaults = kind === undefined ? undefined : task?.plannerDefaults;
  if (!defaults || defaults.keypointWeight === undefined) return defaults;
  const usable = kind === 'jepa' && (model?.keypointDims ?? 0) > 0;
  return usable ? defaults : { ...defaults, keypointWeight: undefined };
}

/**
 * The settings createPlanner gives a planner in this context, and which of them came from the
 * task's own defaults rather than the global defaults or the flags (for `plan` to print).
 */
export function effectiveSettings(name: PlannerName, ctx: Pick<PlannerContext, 'model' | 'settings' | 'task'>): { settings: SearchSettings; fromTask: string[] } {
  const task = taskLayerFor(name, ctx.model, ctx.task);
  const settings = resolveSettings(name, ctx.settings, task);
  const overridden = (k: string) => (ctx.settings as Record<string, unknown> | undefined)?.[k] !== undefined;
  const fromTask = task ? Object.entries(task).filter(([k, v]) => v !== undefined && !overridden(k)).map(([k]) => k) : [];
  return { settings, fromTask };
}

export function createPlanner(name: PlannerName, ctx: PlannerContext): Planner {
  const s = effectiveSettings(name, ctx).settings;
  const bounds = ctx.env.spec.actionBounds;
  switch (name) {
    case 'random':
      return new RandomPlanner(bounds, s.horizon);
    case 'oracle':
      // Its own search: it sees the true effect of every height, so nothing drifts.
      // The options below shape a learned model's energy and search, not the simulator's.
      // The task's guidance, if any, prices how far the pusher still has to go.
      return new OraclePlanner(ctx.env, { ...ORACLE_DEFAULTS, ...s, heightStd: undefined, lattice: undefined }, ctx.task?.oracleGuidance?.bind(ctx.task));
    case 'jepa-cem':
    case 'jepa-mppi':
    case 'generative-cem': {
      const kind = modelKindFor(name);
      if (!ctx.model) {
        throw new UserError(`planner ${name} needs a trained ${kind} model`, `pass --model <dir> with a checkpoint from 'jepa-mpc train${kind === 'generative' ? ' --model generative' : ''}'`);
      }
      if (ctx.model.kind !== kind) {
        throw new UserError(`planner ${name} needs a ${kind} model, but the model given is '${ctx.model.kind}'`,
          kind === 'generative' ? 'train one with: jepa-mpc train --model generative ...' : 'train one with: jepa-mpc train --model jepa ...');
      }
      checkModelOptions(name, ctx.model, s);
      return new ModelPlanner(name, ctx.model, bounds, s);
    }
  }
}

/** The search and energy options that depend on the planner's model and budget. */
function checkModelOptions(name: PlannerName, model: WorldModel, s: SearchSettings): void {
  if ((s.keypointWeight ?? 0) > 0) {
    if (name === 'generative-cem') {
      throw new UserError('--keypoint-weight is for latent-space planning; generative-cem compares images', 'drop --keypoint-weight, or plan with jepa-cem or jepa-mppi');
    }
    if (!((model.keypointDims ?? 0) > 0)) {
      throw new UserError('--keypoint-weight needs a model with keypoint dims, and this one has none',
        'train one with `jepa-mpc train --keypoints 4 ...`, or drop --keypoint-weight');
    }
  }
  if (s.lattice && latticeSize(s.lattice) > s.samples - 1) {
    throw new UserError(`the lattice ${s.lattice.join(',')} (--lattice, or the task's default without it) fills ${latticeSize(s.lattice)} candidates (${LATTICE_DIRECTIONS} directions per speed), more than --samples ${s.samples} leaves`,
      `pass fewer speeds (--lattice off for none), or at least --samples ${latticeSize(s.lattice) + 1}`);
  }
}

// The task contract: one module default-exports a TaskDefinition and the environment does the
// rest. A user's own task file is checked member by member so a mistake is reported by name.
import { UserError } from './errors.ts';
import { SEGMENT_KINDS, type ExplorationMix } from './explore.ts';
import type { Rng } from './rng.ts';
import type { Scene } from './scene.ts';
import type { ActionBounds, Outcome, Vec3 } from './types.ts';

export interface TaskDefinition {
  /** Short id, e.g. 'slide'; recorded in datasets and checkpoints. */
  id: string;
  description: string;
  /** Bounds of a = (vx, vz, height); actions outside are clipped, NaN/Inf rejected. */
  actionBounds: ActionBounds;
  /** Episode length in agent steps (0.1 s each); the episode is truncated after this many. */
  maxSteps: number;
  /** Pusher contact force (N) on a task object above which the object bursts. Infinity = never. */
  burstThreshold: number;
  /** Names of the entries of state(scene). */
  stateLabels: string[];
  /** Names of the entries of the goal vector. */
  goalLabels: string[];
  /** Add the task's objects to a fresh scene (called once per reset, before randomize). */
  build(scene: Scene): void;
  /** Pose the objects at a random start. */
  randomize(scene: Scene, rng: Rng): void;
  /** A goal for the current start. */
  sampleGoal(scene: Scene, rng: Rng): Float32Array;
  /** Where the pusher starts (x, y, z), usually behind the object with respect to the goal. */
  pusherStart(scene: Scene, goal: Float32Array, rng: Rng): Vec3;
  /** Pose the objects as they would be at the goal, at rest (to render the goal observation). */
  placeAtGoal(scene: Scene, goal: Float32Array): void;
  /** Privileged state vector, laid out as stateLabels. Must work after a burst too. */
  state(scene: Scene): Float32Array;
  /** Success / failure / running with the task's distance to success. Burst and timeout are the
   * environment's job; this judges only the objects' poses. */
  evaluate(scene: Scene, goal: Float32Array): Outcome;
  /** Check (and canonicalize) a goal given from outside, e.g. a viewer click; throw UserError.
   * Without it the environment only checks the length and that the values are finite. */
  validateGoal?(goal: Float32Array, scene: Scene): Float32Array;
  /**
   * True when a 'failure' outcome would be a success for another goal (tip: the bottle fell, but
   * the wrong way). The model's failure head learns what to avoid whatever the goal, so it then
   * learns from bursts only. Absent: failures are failures for any goal (slide: it fell over).
   */
  failureDependsOnGoal?: boolean;
  /**
   * Privileged guidance for the oracle (the model planners never see it): a cost in metres that
   * the oracle adds to the task's distance at every step of its rollouts, from the live state
   * vector, the pusher's position and the goal pose's state vector (the goal observation's).
   * Without it the oracle adds a tenth of the pusher's distance to the object and a fifth of the
   * tilt's distance to the goal pose's. A task needs it when progress takes longer than the
   * oracle's few-step horizon can see: a pusher that starts on the wrong side must go round the
   * object first, a bottle must stand on its spot before it is tipped from another side. The
   * cost then says how far there still is to go, continuously, so every step of the way counts.
   */
  oracleGuidance?(state: Float32Array, pusher: Vec3, goalState: Float32Array): number;
  /**
   * The model-based planners' defaults for this task (jepa-cem, jepa-mppi, generative-cem; the
   * oracle keeps its own search). Each is what the flag of the same name sets, and a flag given
   * on the command line wins. Absent members keep the planners' global defaults.
   */
  plannerDefaults?: TaskPlannerDefaults;
  /**
   * The oracle's search for this task, below the flags of the same name. Absent members keep the
   * oracle's global defaults (24 samples, 5 elites, 2 iterations, horizon 5), which are enough
   * where a push shows its effect within half a second; a task whose pushes are slow needs a
   * longer horizon for the oracle to be the upper bound it is meant to be (fragile).
   */
  oracleDefaults?: TaskOracleDefaults;
  /**
   * How `collect` explores this task: the share of episodes whose main kind is each of
   * 'push-low', 'push-gentle', 'push-high', 'press' and 'wander' (README "Exploration"); kinds left
   * out get none, and the shares need not sum to 1. Absent: push-low 0.5, push-high 0.3, press
   * 0.05, wander 0.15. The pushes seek the object through the state's 'x' and 'z' entries, so a
   * task without them can only wander.
   */
  explorationMix?: Partial<ExplorationMix>;
  /**
   * `train`'s defaults for this task's data, below the flags of the same name: the recipe a
   * default `train` should follow for the task's model to plan it. Applied when the dataset's task
   * is this built-in, or when `train --task` names this file.
   */
  trainDefaults?: TaskTrainDefaults;
}

/** What a task may set for `train` (`--keypoints`, `--head-steps`, `--head-transitions`); the flags override each. */
export interface TaskTrainDefaults {
  /** Keypoints in the JEPA's one-frame depth encoder (others train without them). */
  keypoints?: number;
  /** The failure head's fit: Adam steps, and the cap on training transitions it sees. */
  headSteps?: number;
  headTransitions?: number;
}

/** What a task may set for the model planners (README "Add a task"); the flags override each. */
export interface TaskPlannerDefaults {
  /**
   * How widely the push height is sampled, as a multiple of the velocities' spread (global
   * default 1; `--height-std`). A task whose pushes belong at one height sets it low (slide:
   * 0.2), because a latent energy that barely sees the pusher's height lets it drift from one
   * replan to the next; a task whose planner has to find the right height keeps it wider (tip: 0.5).
   */
  heightStd?: number;
  /** Weight of the failure head's P(fail within the horizon) (global default 10; `--failure-weight`). */
  failureWeight?: number;
  /** Weight of the step-to-step change of the pusher velocity (global default 0; `--rate-penalty`). */
  ratePenalty?: number;
  /** Speeds (m/s) of held pushes seeding the first iteration (global default none; `--lattice`). */
  lattice?: readonly number[];
  /**
   * Weight of the keypoint dims' own goal distance (global default 0; `--keypoint-weight`). It
   * applies only with a model trained with `--keypoints`; others plan without it.
   */
  keypointWeight?: number;
  /**
   * Weight of the pusher's distance from where the model's approach head puts it for the goal
   * (global default 0; `--approach-weight`). A task whose pusher starts far from the object sets
   * it (slide-far: 1), since its goal distance stays flat until the pusher touches the object; it
   * applies only with a model that has the head.
   */
  approachWeight?: number;
  /**
   * The search budget: candidate sequences per iteration and iterations per step (global
   * defaults 192 and 2; `--samples`, `--iterations`). fragile trades samples for an iteration
   * (128 x 3 evaluates as many sequences as 192 x 2), because its push has to be aimed within a
   * few degrees and a third refit finds it more often.
   */
  samples?: number;
  iterations?: number;
}

/** What a task may set for the oracle's search (`--samples`, `--elites`, `--iterations`, `--horizon`). */
export interface TaskOracleDefaults {
  samples?: number;
  elites?: number;
  iterations?: number;
  horizon?: number;
}

/** What a member must be, as said in an error, and the test of it. */
type Check = [string, (v: unknown) => boolean];
type MemberChecks = Record<string, Check>;

const positiveInteger: Check = ['integer >= 1', (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1];
const nonNegative: Check = ['finite number >= 0', (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0];

/** The members of TaskPlannerDefaults and what each must be, for validateTask. */
const PLANNER_DEFAULT_CHECKS: Record<keyof TaskPlannerDefaults, Check> = {
  heightStd: ['number in (0, 10]', (v) => typeof v === 'number' && v > 0 && v <= 10],
  failureWeight: nonNegative,
  ratePenalty: nonNegative,
  lattice: ['non-empty array of speeds in (0, 10] m/s', (v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && x > 0 && x <= 10)],
  keypointWeight: nonNegative,
  approachWeight: nonNegative,
  samples: positiveInteger,
  iterations: positiveInteger,
};

/** Problems of an optional object member whose keys each have a check (unknown keys are problems too). */
function memberProblems(field: string, v: unknown, checks: MemberChecks): string[] {
  if (v === undefined) return [];
  const known = Object.keys(checks).join(', ');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [`${field} (optional object with ${known})`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(v)) {
    const check = checks[key];
    if (!check) problems.push(`${field}.${key} (unknown; known: ${known})`);
    else if (value !== undefined && !check[1](value)) problems.push(`${field}.${key} (${check[0]})`);
  }
  return problems;
}

const TRAIN_DEFAULT_CHECKS: Record<keyof TaskTrainDefaults, Check> = {
  keypoints: ['integer from 0 to 16', (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 16],
  headSteps: positiveInteger,
  headTransitions: ['integer >= 100', (v) => typeof v === 'number' && Number.isInteger(v) && v >= 100],
};

const ORACLE_DEFAULT_CHECKS: Record<keyof TaskOracleDefaults, Check> = {
  samples: positiveInteger, elites: positiveInteger, iterations: positiveInteger, horizon: positiveInteger,
};

function oracleDefaultProblems(v: unknown): string[] {
  const problems = memberProblems('oracleDefaults', v, ORACLE_DEFAULT_CHECKS);
  const o = v as TaskOracleDefaults | undefined;
  if (problems.length === 0 && o?.samples !== undefined && o.elites !== undefined && o.elites > o.samples) problems.push('oracleDefaults.elites (at most samples)');
  return problems;
}

const share: Check = ['finite share >= 0', nonNegative[1]];
const MIX_CHECKS: MemberChecks = Object.fromEntries(SEGMENT_KINDS.map((k) => [k, share]));

function explorationMixProblems(v: unknown, stateLabels: unknown): string[] {
  const problems = memberProblems('explorationMix', v, MIX_CHECKS);
  if (v === undefined || problems.length > 0) return problems;
  const shares = v as Record<string, number | undefined>;
  if (!(Object.values(shares).reduce((sum: number, x) => sum + (x ?? 0), 0) > 0)) return ['explorationMix (shares with a positive sum)'];
  const seeks = isStringList(stateLabels) && stateLabels.includes('x') && stateLabels.includes('z');
  if (!seeks && !((shares.wander ?? 0) > 0)) {
    return ["explorationMix (pushes seek the object through stateLabels 'x' and 'z', which this task lacks: give wander a share)"];
  }
  return [];
}

const FUNCTIONS = ['build', 'randomize', 'sampleGoal', 'pusherStart', 'placeAtGoal', 'state', 'evaluate'] as const;

function isVec3(v: unknown): v is Vec3 {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0);
}

/** Returns the task if it is valid; otherwise throws one UserError naming every problem. */
export function validateTask(obj: unknown, source: string): TaskDefinition {
  if (typeof obj !== 'object' || obj === null) {
    throw new UserError(
      `task from ${source} is not an object (got ${obj === null ? 'null' : typeof obj})`,
      'default-export an object with the TaskDefinition members (see README "Add a task")',
    );
  }
  const t = obj as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof t.id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(t.id)) problems.push('id (non-empty string of letters, digits, - or _)');
  if (typeof t.description !== 'string') problems.push('description (string)');
  const b = t.actionBounds as { low?: unknown; high?: unknown } | undefined;
  if (typeof b !== 'object' || b === null || !isVec3(b.low) || !isVec3(b.high)) {
    problems.push('actionBounds ({ low: [vx, vz, height], high: [vx, vz, height] }, finite numbers)');
  } else if (b.low.some((lo, i) => lo > (b.high as Vec3)[i])) {
    problems.push('actionBounds (low must be <= high in every component)');
  } else if (b.low[2] <= 0) {
    problems.push('actionBounds (height low must be above the table, > 0)');
  }
  if (typeof t.maxSteps !== 'number' || !Number.isInteger(t.maxSteps) || t.maxSteps < 1) problems.push('maxSteps (integer >= 1)');
  if (typeof t.burstThreshold !== 'number' || Number.isNaN(t.burstThreshold) || t.burstThreshold <= 0) {
    problems.push('burstThreshold (number of newtons > 0; Infinity for never)');
  }
  if (!isStringList(t.stateLabels)) problems.push('stateLabels (non-empty string[])');
  if (!isStringList(t.goalLabels)) problems.push('goalLabels (non-empty string[])');
  for (const f of FUNCTIONS) if (typeof t[f] !== 'function') problems.push(`${f} (function)`);
  if (t.validateGoal !== undefined && typeof t.validateGoal !== 'function') problems.push('validateGoal (optional function)');
  if (t.oracleGuidance !== undefined && typeof t.oracleGuidance !== 'function') problems.push('oracleGuidance (optional function)');
  if (t.failureDependsOnGoal !== undefined && typeof t.failureDependsOnGoal !== 'boolean') problems.push('failureDependsOnGoal (optional boolean)');
  if (t.plannerHeightStd !== undefined) problems.push('plannerHeightStd (renamed: set plannerDefaults: { heightStd } instead)');
  problems.push(...memberProblems('plannerDefaults', t.plannerDefaults, PLANNER_DEFAULT_CHECKS));
  problems.push(...oracleDefaultProblems(t.oracleDefaults));
  problems.push(...memberProblems('trainDefaults', t.trainDefaults, TRAIN_DEFAULT_CHECKS));
  problems.push(...explorationMixProblems(t.explorationMix, t.stateLabels));
  if (problems.length > 0) {
    throw new UserError(
      `task from ${source} is missing or has invalid members: ${problems.join(', ')}`,
      'default-export an object with every TaskDefinition member (see README "Add a task" or sim/tasks/slide.ts)',
    );
  }
  return obj as TaskDefinition;
}

/** Default goal check: the right length and finite. */
export function checkGoalShape(task: TaskDefinition, goal: ArrayLike<number>): Float32Array {
  if (goal.length !== task.goalLabels.length) {
    throw new UserError(
      `goal for task '${task.id}' has ${goal.length} values, expected ${task.goalLabels.length} (${task.goalLabels.join(', ')})`,
      'pass one number per goal label',
    );
  }
  for (let i = 0; i < goal.length; i++) {
    if (!Number.isFinite(goal[i])) {
      throw new UserError(`goal for task '${task.id}': ${task.goalLabels[i]} is ${goal[i]}`, 'pass finite numbers');
    }
  }
  return Float32Array.from(goal);
}

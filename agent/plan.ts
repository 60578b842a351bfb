// `jepa-mpc plan`: run MPC episodes of one planner on one task and print each episode's outcome
// and a summary. Also home of the "rig" (task + env + model + planner) that bench workers and the
// viewer build the same way, and of the evaluation seed scheme.
import { existsSync } from 'node:fs';
import { Env } from '../sim/env.ts';
import { UserError } from '../sim/errors.ts';
import { flagOf } from '../sim/flags.ts';
import { EVAL_SEED_BASE, EVAL_SEED_SPAN, deriveSeed } from '../sim/rng.ts';
import { loadTask } from '../sim/tasks/registry.ts';
import type { TaskDefinition } from '../sim/task.ts';
import type { BackendChoice } from './backend.ts';
import { runEpisodeSync, type EpisodeResult } from './mpc.ts';
import { createPlanner, effectiveSettings } from './planners/factory.ts';
import type { SearchSettings } from './planners/modelPlanner.ts';
import { modelKindFor, type Planner, type PlannerName } from './planners/types.ts';
import { MODELS_DIR, defaultModelFor, modelDirFor } from './modelDirs.ts';
import { formatBreakdown, formatEpisodeLine, formatSummaryLine, summarize, type Summary } from './report.ts';
import type { WorldModel } from './worldModel.ts';

/**
 * Evaluation episodes (plan and bench) reset the env with EVAL_SEED_BASE + seed + i, a range that
 * `collect` never uses (sim/rng.ts trainingSeed).
 */
export { EVAL_SEED_BASE, EVAL_SEED_SPAN };

export function evalResetSeed(seed: number, episode: number): number {
  const offset = seed + episode;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= EVAL_SEED_SPAN) {
    throw new UserError(`--seed ${seed} with ${episode + 1} episodes leaves the evaluation seed range`, `use a --seed from 0 to ${EVAL_SEED_SPAN - 1 - episode}`);
  }
  return EVAL_SEED_BASE + offset;
}

/** The planner's own RNG stream for an episode (independent of the env's). */
export function evalPlannerSeed(seed: number, episode: number): number {
  return deriveSeed(seed ^ 0x2545f491, episode);
}

export interface RigOptions {
  task: string | TaskDefinition;
  planner: PlannerName;
  /** Checkpoint directory for the model planners; default models/world (or models/world-generative). */
  model?: string;
  backend?: BackendChoice;
  settings?: Partial<SearchSettings>;
  /** Distractor level to render at (default: the model's, else 0); another level than the model's is refused. */
  distractors?: number;
  log?: (line: string) => void;
}

export interface Rig {
  task: TaskDefinition;
  env: Env;
  planner: Planner;
  model?: WorldModel;
  dispose(): void;
}

/**
 * The distractor level to render at: the model's (it was trained on such images); a --distractors
 * that names another level is refused, since the model would plan on images it never saw.
 */
export function renderLevel(asked: number | undefined, model: WorldModel | undefined, modelDir?: string): number {
  const trained = model?.distractors ?? 0;
  if (model && asked !== undefined && asked !== trained) {
    throw new UserError(`--distractors ${asked} does not match model '${modelDir ?? '(in memory)'}', trained at distractor level ${trained}`,
      `drop --distractors (the model's level is used), or train a model on data collected with --distractors ${asked}`);
  }
  return asked ?? trained;
}

/**
 * An environment whose camera shows what the model was trained on (image size, pusher visibility,
 * distractor level). Depth is only rendered for a model: random and oracle run much faster without.
 */
export async function envForModel(task: TaskDefinition, model: WorldModel | undefined, distractors?: number, modelDir?: string): Promise<Env> {
  return Env.create({
    task, obsSize: model?.obsSize.width, renderDepth: model !== undefined, showsPusher: model?.showsPusher,
    distractors: renderLevel(distractors, model, modelDir),
  });
}

export async function createRig(o: RigOptions): Promise<Rig> {
  const task = typeof o.task === 'string' ? await loadTask(o.task) : o.task;
  const kind = modelKindFor(o.planner);
  let model: WorldModel | undefined;
  if (kind) {
    const dir = o.model ?? defaultModelFor(o.planner);
    if (!dir) {
      const world = modelDirFor(MODELS_DIR, task.id, o.planner);
      throw new UserError(`planner ${o.planner} needs a trained ${kind} model, and ${world} has none`,
        `pass --model <checkpoint dir>, or train the world model: jepa-mpc train --data data/slide.h5,data/tip.h5,data/fragile.h5 --out ${world}${kind === 'generative' ? ' --model generative' : ''}`);
    }
    if (!existsSync(dir)) {
      throw new UserError(`model directory '${dir}' does not exist`, `train one: jepa-mpc train --data data/${task.id}.h5 --out ${dir}${kind === 'generative' ? ' --model generative' : ''}`);
    }
    const { initBackend } = await import('./backend.ts');
    await initBackend(o.backend ?? 'auto', o.log);
    const { loadWorldModel } = await import('./checkpoint.ts');
    model = await loadWorldModel(dir);
  }
  if (model && model.obsSize.width !== model.obsSize.height) {
    throw new UserError(`model '${o.model}' expects ${model.obsSize.width}x${model.obsSize.height} images; the camera is square`, 'retrain on a dataset collected with --obs-size N');
  }
  let env: Env;
  try {
    env = await envForModel(task, model, o.distractors, o.model);
  } catch (e) {
    model?.dispose();
    throw e;
  }
  let planner: Planner;
  try {
    planner = createPlanner(o.planner, { env, model, settings: o.settings, task });
  } catch (e) {
    env.free();
    model?.dispose();
    throw e;
  }
  return {
    task, env, planner, model,
    dispose() {
      planner.dispose();
      env.free();
      model?.dispose();
    },
  };
}

export interface PlanCommandOptions extends RigOptions {
  episodes: number;
  seed: number;
  execute?: number;
  json?: boolean;
}

export interface PlanReport {
  task: string;
  planner: PlannerName;
  seed: number;
  /** The planner's effective search settings (absent for random), and those the task set. */
  settings?: SearchSettings;
  settingsFromTask?: string[];
  episodes: (EpisodeResult & { episode: number })[];
  summary: Summary;
}

/** Run the episodes one after another; prints per-episode lines and a summary (or JSON). */
export async function runPlanCommand(o: PlanCommandOptions, write: (s: string) => void = (s) => process.stdout.write(s)): Promise<PlanReport> {
  evalResetSeed(o.seed, Math.max(0, o.episodes - 1));
  const log = o.json ? () => {} : (line: string) => write(line + '\n');
  const rig = await createRig({ ...o, log });
  try {
    const level = rig.env.spec.distractors ?? 0;
    if (!o.json) log(`plan: task ${rig.task.id}, planner ${o.planner}, ${o.episodes} episodes, seed ${o.seed}${level > 0 ? `, distractors ${level}` : ''}`);
    const resolved = o.planner === 'random' ? undefined : effectiveSettings(o.planner, { model: rig.model, settings: o.settings, task: rig.task });
    if (resolved) log(formatSettings(o.planner, resolved.settings, resolved.fromTask, rig.task.id));
    const episodes: PlanReport['episodes'] = [];
    for (let i = 0; i < o.episodes; i++) {
      const r = runEpisodeSync(rig.env, rig.planner, evalResetSeed(o.seed, i), evalPlannerSeed(o.seed, i), { execute: o.execute });
      episodes.push({ episode: i, ...r });
      log(formatEpisodeLine(i, r));
    }
    const summary = summarize(episodes);
    const report: PlanReport = {
      task: rig.task.id, planner: o.planner, seed: o.seed,
      ...(resolved ? { settings: resolved.settings, settingsFromTask: resolved.fromTask } : {}),
      episodes, summary,
    };
    if (o.json) write(JSON.stringify(report, null, 2) + '\n');
    else {
      log(formatSummaryLine(`${rig.task.id} / ${o.planner}`, summary));
      const ends = formatBreakdown(episodes);
      if (ends) log(`not successful: ${ends}`);
    }
    return report;
  } finally {
    rig.dispose();
  }
}

/**
 * The settings a planner runs with, as the flags that would set them, so a run can be repeated
 * and a task's own defaults are visible (e.g. a keypoint weight skipped for a model without
 * keypoints shows as 0).
 */
export function formatSettings(planner: PlannerName, s: SearchSettings, fromTask: readonly string[], taskId: string): string {
  const parts = [`--samples ${s.samples}`, `--elites ${s.elites}`, `--iterations ${s.iterations}`, `--horizon ${s.horizon}`];
  if (planner !== 'oracle') {
    if (planner === 'jepa-mppi') parts.push(`--temperature ${s.temperature}`);
    parts.push(`--distance ${s.distance}`, `--action-penalty ${s.actionPenalty}`, `--failure-weight ${s.failureWeight ?? 0}`,
      `--height-std ${s.heightStd ?? 1}`, `--rate-penalty ${s.ratePenalty ?? 0}`,
      `--lattice ${s.lattice && s.lattice.length > 0 ? s.lattice.join(',') : 'off'}`, `--keypoint-weight ${s.keypointWeight ?? 0}`, `--approach-weight ${s.approachWeight ?? 0}`);
  }
  const task = fromTask.length > 0 ? ` (task ${taskId} sets ${fromTask.map(flagOf).join(', ')})` : '';
  return `settings: ${parts.join(' ')}${task}`;
}

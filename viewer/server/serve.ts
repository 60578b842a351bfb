// `jepa-mpc serve`: picks the model, task and planner, builds the page if asked, starts the http +
// ws server and runs until Ctrl-C. The model stack (tfjs) loads only when a model is used.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { distractorLevel } from '../../sim/distractorLevels.ts';
import { UserError } from '../../sim/errors.ts';
import { builtinTasks, loadTask } from '../../sim/tasks/registry.ts';
import { MODELS_DIR } from '../../agent/modelDirs.ts';
import { PLANNER_NAMES, modelKindFor, type PlannerName } from '../../agent/planners/types.ts';
import type { SearchSettings } from '../../agent/planners/modelPlanner.ts';
import { DIST_DIR, ensureViewerBuilt, servesAfterBuild } from './build.ts';
import { startViewerServer, type ViewerServer } from './server.ts';
import { workerRunnerFactory } from './workerRunner.ts';
import type { RunnerFactory } from './episodeRunner.ts';

export interface ServeOptions {
  /** Checkpoint dir, used for every task; undefined = models/world if it exists, else run without a model. */
  model?: string;
  task: string;
  /** undefined = jepa-cem with a model, oracle without. */
  planner?: PlannerName;
  port: number;
  host: string;
  seed: number;
  ensureBuild: boolean;
  backend?: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Planner setting overrides (e.g. failureWeight from --failure-weight); unset fields take the defaults. */
  settings?: Partial<SearchSettings>;
  /** Distractor level to render at (--distractors); undefined = the model's level, else 0. */
  distractors?: number;
  log?: (line: string) => void;
}

/** Which model kind a checkpoint holds, from its config.json (the networks load in the runner worker). */
async function modelKindOf(dir: string | undefined): Promise<'jepa' | 'generative' | undefined> {
  if (!dir) return undefined;
  const { readCheckpointConfig } = await import('../../agent/checkpoint.ts');
  return readCheckpointConfig(dir).model.kind;
}

/** A --distractors that is not the model's level fails here, at once, not in the runner worker. */
async function checkDistractorLevel(dir: string | undefined, asked: number | undefined): Promise<void> {
  if (!dir || asked === undefined) return;
  const { readCheckpointConfig } = await import('../../agent/checkpoint.ts');
  const trained = readCheckpointConfig(dir).envSpec.distractors ?? 0;
  if (trained !== asked) {
    throw new UserError(`--distractors ${asked} does not match model '${dir}', trained at distractor level ${trained}`,
      `drop --distractors (the model's level is used), or pass a model trained on data collected with --distractors ${asked}`);
  }
}

export async function serve(opts: ServeOptions): Promise<ViewerServer & { planner: PlannerName; modelDir?: string }> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  // Check the task first so a bad --task fails at once with a clear message (the worker loads it again).
  await loadTask(opts.task);
  if (opts.distractors !== undefined) distractorLevel(opts.distractors, '--distractors');
  // One model for every task: switching task in the page keeps it (its data spans every task's physics).
  const fallback = join(MODELS_DIR, 'world');
  let modelDir = opts.model;
  if (modelDir === undefined && existsSync(join(fallback, 'config.json'))) modelDir = fallback;
  if (modelDir !== undefined && !existsSync(modelDir)) {
    throw new UserError(`model directory '${modelDir}' does not exist`, "train one with 'jepa-mpc train --data ... --out <dir>', or omit --model to run the oracle planner");
  }
  const planner: PlannerName = opts.planner ?? (modelDir ? 'jepa-cem' : 'oracle');
  if (!opts.planner && !modelDir) log(`viewer: no model at ${fallback}; running the 'oracle' planner (pass --model <dir> for jepa-cem)`);
  if (modelKindFor(planner) && !modelDir) {
    throw new UserError(`planner '${planner}' needs a trained model`, 'pass --model <dir>, or use --planner oracle or --planner random');
  }

  const tasks = new Set<string>([...Object.keys(builtinTasks), opts.task]);
  const settings = opts.settings && Object.values(opts.settings).some((v) => v !== undefined) ? opts.settings : undefined;
  if (settings) {
    // Bad settings fail here, at once, not in the runner worker.
    const { resolveSettings } = await import('../../agent/planners/factory.ts');
    resolveSettings(planner, settings);
  }

  if (servesAfterBuild(opts.ensureBuild)) await ensureViewerBuilt(log);
  const kind = await modelKindOf(modelDir);
  await checkDistractorLevel(modelDir, opts.distractors);
  if (modelKindFor(planner) && modelKindFor(planner) !== kind) {
    throw new UserError(`planner '${planner}' needs a ${modelKindFor(planner)} model, but ${modelDir} holds a ${kind} model`,
      `use --planner ${kind === 'generative' ? 'generative-cem' : 'jepa-cem'}, or a matching --model`);
  }
  const planners = PLANNER_NAMES.filter((p) => modelKindFor(p) === undefined || modelKindFor(p) === kind);
  // Each runner (sim + planner + model) lives in a worker thread: planning never stalls the stream.
  const factory: RunnerFactory = workerRunnerFactory({ modelDir, backend: opts.backend, settings, distractors: opts.distractors }, log);

  const server = await startViewerServer({
    host: opts.host, port: opts.port, staticDir: DIST_DIR, factory, log,
    session: { task: opts.task, planner, tasks: [...tasks.keys()], planners: [...planners], seed: opts.seed, log },
  });
  log(`viewer: task ${opts.task}, planner ${planner}${modelDir ? `, model ${modelDir}` : ''}${opts.distractors !== undefined ? `, distractors ${opts.distractors}` : ''}`);
  log(`viewer: open ${server.url}  (Ctrl-C to stop)`);
  return Object.assign(server, { planner, modelDir });
}

/** Run until SIGINT/SIGTERM, then close sockets, stop the session and exit cleanly. */
export async function serveUntilSignal(opts: ServeOptions): Promise<void> {
  const server = await serve(opts);
  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stdout.write('\nviewer: shutting down\n');
      void server.close().then(resolveStop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

// `jepa-mpc train`: read a collected dataset, pick a backend, train the JEPA (or the generative
// baseline) with a progress display, and leave a checkpoint folder behind. --resume continues
// from the checkpoint already in --out.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { ensureWritableTarget } from '../sim/atomicWrite.ts';
import { onStopSignals, signalExitCode, signalName, type StopSignal } from '../sim/stopSignals.ts';
import { UserError } from '../sim/errors.ts';
import { flagOf } from '../sim/flags.ts';
import type { TaskDefinition, TaskTrainDefaults } from '../sim/task.ts';
import { builtinTasks, loadTask } from '../sim/tasks/registry.ts';
import type { EnvSpec } from '../sim/types.ts';
import { initBackend, type BackendChoice } from './backend.ts';
import { checkCheckpointTarget, loadNetwork, readCheckpointConfig } from './checkpoint.ts';
import { disposeNetworks, type Networks } from './model/networks.ts';
import {
  defaultLoopOptions, defaultModelOptions, describeValidation, trainLoop,
  type LoopOptions, type MetricsRecord, type ModelOptions, type ResumeState,
} from './trainLoop.ts';
import { checkDataPaths, dataPaths, loadTrainingData, splitSources, taskIdsOf, type DataSource, type TrainingData } from './trainSources.ts';
import type { ApproachHeadInfo } from './approachFit.ts';

export interface TrainOptions extends ModelOptions, LoopOptions {
  /** One dataset, or several (a list, or paths joined by commas) from the same world: one model learns them all. */
  data: string | readonly string[];
  /**
   * Datasets of the same world whose episodes the approach head is fitted on as well, at every
   * checkpoint (the world model does not train on them): a task whose starts the training data
   * lacks can teach the head its way round the object without changing the encoder.
   */
  approachData?: string | readonly string[];
  out: string;
  backend: BackendChoice;
  resume: boolean;
  commandLine: string;
  /**
   * The task whose `trainDefaults` apply (an id or a task file); absent: the datasets' tasks that
   * are built-ins. Its id must be one of the datasets' tasks.
   */
  task?: string;
  /** Options the user gave explicitly (TrainOptions keys): a task's defaults never override them. */
  explicit?: readonly string[];
  /** Progress display: a bar on a TTY, plain lines otherwise; 'none' for tests. */
  progress?: 'auto' | 'lines' | 'none';
}

export const trainDefaults = { ...defaultModelOptions, ...defaultLoopOptions };

/**
 * Why a model with these options cannot have K keypoints, as [message, fix], or undefined if it
 * can (or K is 0): they need the JEPA's one-frame depth encoder and latent dims to spare.
 */
function keypointConflict(o: Pick<TrainOptions, 'model' | 'obs' | 'frames' | 'latent'>, k: number): [string, string] | undefined {
  if (k === 0) return undefined;
  if (o.model !== 'jepa' || o.obs !== 'depth' || o.frames !== 1) {
    return [`--keypoints ${k} is for the JEPA's one-frame depth encoder; got --model ${o.model} --obs ${o.obs} --frames ${o.frames}`,
      'drop --keypoints, or train --model jepa --obs depth --frames 1'];
  }
  if (2 * k >= o.latent) {
    return [`--keypoints ${k} takes ${2 * k} of the ${o.latent} learned latent dims (--latent); at least one must be left to the MLP`,
      `use --keypoints ${Math.max(1, Math.floor((o.latent - 1) / 2))} or fewer, or a larger --latent`];
  }
  return undefined;
}

/**
 * The options with the task's own training defaults filled in wherever the user gave no flag, and
 * the names of those taken from the task. A task's keypoints go only to a model that can have
 * them (the JEPA's one-frame depth encoder with latent dims to spare), as a task's keypoint weight
 * goes only to keypoint models, so one task file serves every model. With --resume the model
 * comes from the checkpoint and only the head's budget applies.
 */
export function withTaskTrainDefaults(opts: TrainOptions, task: TaskTrainDefaults | undefined): { opts: TrainOptions; fromTask: (keyof TaskTrainDefaults)[] } {
  const explicit = new Set(opts.explicit ?? []);
  const out = { ...opts };
  const fromTask: (keyof TaskTrainDefaults)[] = [];
  for (const [key, value] of Object.entries(task ?? {}) as [keyof TaskTrainDefaults, number | undefined][]) {
    if (value === undefined || explicit.has(key)) continue;
    if (key === 'keypoints' && (opts.resume || keypointConflict(opts, value))) continue;
    out[key] = value;
    fromTask.push(key);
  }
  return { opts: out, fromTask };
}

/**
 * The training defaults that apply: those of the task named by --task (its id must be one of the
 * datasets' tasks), else of the datasets' built-in tasks. Several tasks that set the same member
 * give the largest value: a model of all their data must serve the most demanding of them.
 */
async function trainingTaskDefaults(opts: TrainOptions, spec: EnvSpec): Promise<{ ids: string[]; defaults: TaskTrainDefaults | undefined }> {
  const ids = taskIdsOf(spec);
  let tasks: TaskDefinition[];
  if (opts.task === undefined) {
    tasks = ids.filter((id) => Object.hasOwn(builtinTasks, id)).map((id) => builtinTasks[id]);
  } else {
    const task = await loadTask(opts.task);
    if (!ids.includes(task.id)) {
      throw new UserError(`--task ${opts.task} is task '${task.id}', but the data holds episodes of ${ids.map((id) => `'${id}'`).join(', ')}`,
        `pass the task file the dataset was collected with, or drop --task`);
    }
    tasks = [task];
  }
  const setters = tasks.filter((t) => t.trainDefaults);
  if (setters.length === 0) return { ids: [], defaults: undefined };
  const defaults: TaskTrainDefaults = {};
  for (const t of setters) {
    for (const [key, value] of Object.entries(t.trainDefaults!) as [keyof TaskTrainDefaults, number | undefined][]) {
      if (value !== undefined) defaults[key] = Math.max(defaults[key] ?? value, value);
    }
  }
  return { ids: setters.map((t) => t.id), defaults };
}

/** The checkpoint's metrics.jsonl, one record per line (absent: none yet). */
function readHistory(out: string): MetricsRecord[] {
  const file = join(out, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    try {
      return [JSON.parse(line) as MetricsRecord];
    } catch (e) {
      throw new UserError(`--resume: '${file}' line ${i + 1} is not valid JSON (${(e as Error).message})`,
        'restore the file from the checkpoint it came with, delete it (the chart then starts at the resumed step), or train into a new --out folder');
    }
  });
}

async function resumeState(out: string, sha: string, log: (s: string) => void): Promise<ResumeState> {
  if (!existsSync(join(out, 'config.json'))) {
    throw new UserError(`--resume: '${out}' holds no checkpoint to continue from`, 'drop --resume to start a new training run there');
  }
  const config = readCheckpointConfig(out);
  if (config.data.sha256 !== sha) {
    throw new UserError(`--resume: the checkpoint in '${out}' was trained on different data (sha256 ${config.data.sha256.slice(0, 12)}… vs ${sha.slice(0, 12)}…; it names '${config.data.path}')`,
      'resume with the same --data file(s), in the same order, or train into a new --out folder');
  }
  const names = ['encoder', 'predictor', ...(config.model.kind === 'generative' ? ['decoder'] : []), ...(config.model.target === 'ema' && config.model.kind === 'jepa' ? ['target'] : [])];
  const loaded: Record<string, Networks[keyof Networks]> = {};
  for (const n of names) loaded[n] = await loadNetwork(out, n, config);
  const nets = loaded as unknown as Networks;
  const history = readHistory(out);
  log(`resuming from step ${config.training.step} in '${out}' (model flags come from the checkpoint; the Adam optimizer state restarts)`);
  return { nets, config, history };
}

type RecordedApproach = Pick<ApproachHeadInfo, 'alsoFittedOn' | 'alsoFittedSplit'>;

/** What the approach head of the checkpoint being resumed was fitted on besides its training data (absent: nothing, or no resume). */
function recordedApproachData(opts: Pick<TrainOptions, 'resume' | 'out'>): RecordedApproach | undefined {
  if (!opts.resume || !existsSync(join(opts.out, 'config.json'))) return undefined;
  const a = readCheckpointConfig(opts.out).approach;
  return a?.alsoFittedOn && a.alsoFittedOn.length > 0 ? a : undefined;
}

/**
 * --approach-data's files: as listed; `none`: no file; not given on --resume: the checkpoint's own
 * list, since its head is refitted at every save and would otherwise lose those episodes unnoticed.
 */
function approachDataPaths(given: TrainOptions['approachData'], recorded: RecordedApproach | undefined, log: (s: string) => void): string[] {
  if (given === undefined) {
    const list = recorded?.alsoFittedOn?.map((s) => s.path) ?? [];
    for (const p of list) {
      if (!existsSync(p)) {
        throw new UserError(`--resume: the checkpoint's approach head was fitted on '${p}' as well, and that file does not exist here`,
          `pass --approach-data with the file's path (the checkpoint lists ${list.join(',')}), or --approach-data none to fit the head on --data alone`);
      }
    }
    if (list.length > 0) log(`approach data: the checkpoint's, ${list.join(', ')} (--approach-data changes the list; --approach-data none drops it)`);
    return list;
  }
  if (typeof given === 'string' && given.trim() === 'none') return [];
  return dataPaths(given, '--approach-data');
}

/** Whether `sources` are the recorded approach datasets, file for file (by content, in order). */
function sameApproachSources(recorded: RecordedApproach | undefined, sources: readonly DataSource[]): boolean {
  const r = recorded?.alsoFittedOn;
  return r !== undefined && r.length === sources.length && r.every((s, i) => s.sha256 === sources[i].sha256);
}

/** A recorded split, checked against the episode count before any index is used. */
function checkedApproachSplit(split: { train: number[]; val: number[] }, episodes: number, out: string): { train: number[]; val: number[] } {
  const ok = (list: unknown) => Array.isArray(list) && list.every((i) => Number.isInteger(i) && i >= 0 && i < episodes);
  if (!ok(split.train) || !ok(split.val)) {
    throw new UserError(`--resume: '${join(out, 'config.json')}' approach.alsoFittedSplit is not a split of the ${episodes} approach-data episodes`,
      'restore config.json from the checkpoint it came with, or pass --approach-data none to refit the head on --data alone');
  }
  return split;
}

/**
 * --approach-data, each file checked against the training data's world before it is read, split
 * like the data. On --resume with the checkpoint's files the checkpoint's split is kept, so the
 * head's held-out score stays on the same episodes whatever --seed is.
 */
async function loadApproachData(paths: string[], data: TrainingData, opts: Pick<TrainOptions, 'valFraction' | 'seed' | 'out' | 'approachData'>,
  recorded: RecordedApproach | undefined, log: (s: string) => void) {
  const extra = await loadTrainingData(paths, { path: data.path, spec: data.spec });
  for (const s of extra.sources) log(`approach data: ${s.episodes} episodes of task ${s.taskId} from '${s.path}' (for the approach head only)`);
  const same = sameApproachSources(recorded, extra.sources);
  if (opts.approachData === undefined && !same) {
    throw new UserError(`--resume: the approach data the checkpoint in '${opts.out}' lists (${paths.join(', ')}) changed since its head was fitted on them`,
      'restore those files, or pass --approach-data with the files to fit the head on now (its held-out split is then drawn anew)');
  }
  if (recorded && !same) log('approach data: not the checkpoint\'s; their held-out split is drawn anew');
  const kept = same ? recorded?.alsoFittedSplit : undefined;
  const split = kept
    ? checkedApproachSplit(kept, extra.episodes.length, opts.out)
    : splitSources(extra.sources.map((s) => s.episodes), opts.valFraction, opts.seed);
  return { episodes: extra.episodes, spec: extra.spec, split, sources: extra.sources };
}

export interface TrainResult { out: string; last: MetricsRecord | undefined; step: number; interrupted: boolean }

/** Train as `opts` say; once `signal` aborts, stop after the step in progress and save a checkpoint of it. */
export async function runTrain(given: TrainOptions, log: (s: string) => void = (s) => process.stderr.write(s + '\n'), signal?: AbortSignal): Promise<TrainResult> {
  let opts = given;
  const paths = dataPaths(opts.data);
  checkDataPaths(paths);
  const recordedApproach = recordedApproachData(opts);
  const approachPaths = approachDataPaths(opts.approachData, recordedApproach, log);
  checkDataPaths(approachPaths);
  // By resolved path, so that ./data/a.h5 and data/a.h5 are one file.
  const both = approachPaths.find((p) => paths.some((q) => resolve(q) === resolve(p)));
  if (both) {
    throw new UserError(`'${both}' is in both --data and --approach-data`,
      'the approach head is always fitted on the --data episodes; list under --approach-data only datasets the model does not train on');
  }
  ensureWritableTarget(opts.out, 'directory');
  checkCheckpointTarget(opts.out);
  if (opts.model === 'generative' && opts.obs === 'state') {
    throw new UserError('--model generative reconstructs depth images, so it cannot use --obs state', 'drop --obs state (or use --model jepa)');
  }
  // Validated here, before the backend and the data load, so a bad combination fails at once.
  const conflict = keypointConflict(opts, opts.keypoints);
  if (conflict) throw new UserError(...conflict);
  const backend = await initBackend(opts.backend, log);
  const data = await loadTrainingData(paths);
  const { episodes, spec, sha256: sha } = data;
  for (const s of data.sources) log(`data: ${s.episodes} episodes of task ${s.taskId} from '${s.path}'`);
  if (data.sources.length > 1) log(`data: ${episodes.length} episodes, ${episodes.reduce((s, e) => s + e.length, 0)} steps of tasks ${taskIdsOf(spec).join(', ')}`);
  else log(`data: ${episodes.length} episodes, ${episodes.reduce((s, e) => s + e.length, 0)} steps from '${data.path}' (task ${spec.taskId})`);
  const approachData = approachPaths.length > 0 ? await loadApproachData(approachPaths, data, opts, recordedApproach, log) : undefined;
  const taskDefaults = await trainingTaskDefaults(opts, spec);
  const layered = withTaskTrainDefaults(opts, taskDefaults.defaults);
  opts = layered.opts;
  if (layered.fromTask.length > 0) {
    log(`task ${taskDefaults.ids.join(', ')} sets ${layered.fromTask.map((k) => `${flagOf(k)} ${opts[k]}`).join(' ')} (its trainDefaults; a flag overrides each)`);
  }
  const resume = opts.resume ? await resumeState(opts.out, sha, log) : undefined;
  if (resume && resume.config.training.step > opts.steps) {
    disposeNetworks(resume.nets);
    throw new UserError(`--resume: the checkpoint is already at step ${resume.config.training.step}, beyond --steps ${opts.steps}`,
      `pass a larger --steps to train further, or --steps ${resume.config.training.step} to only refit the probe, failure and approach heads`);
  }
  if (resume && resume.config.training.step === opts.steps) {
    log(`--steps ${opts.steps} is the step already reached: no training; validating, refitting the probe, failure and approach heads and saving`);
  }
  const mode = opts.progress ?? 'auto';
  const bar = mode === 'auto' && process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: 'train |{bar}| {value}/{total} | {terms} | {sps} samples/s | eta {eta_formatted}', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic)
    : undefined;
  const start = resume?.config.training.step ?? 0;
  bar?.start(opts.steps, start, { terms: '', sps: '0' });
  const lineEvery = Math.max(1, Math.round(opts.steps / 40));
  const fmt = (terms: Record<string, number>) => Object.entries(terms).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(' ');
  try {
    const result = await trainLoop(
      {
        out: opts.out, episodes, spec, backend, commandLine: opts.commandLine,
        data: { path: data.path, sha256: sha, episodes: episodes.length, ...(data.sources.length > 1 ? { sources: data.sources } : {}) },
        split: resume ? undefined : splitSources(data.sources.map((s) => s.episodes), opts.valFraction, opts.seed),
        ...(approachData ? { approachData } : {}),
      },
      opts, opts,
      {
        onStep: (step, terms, sps) => {
          if (bar) bar.update(step, { terms: fmt(terms), sps: sps.toFixed(0) });
          else if (mode !== 'none' && (step % lineEvery === 0 || step === opts.steps)) log(`step ${step}/${opts.steps} ${fmt(terms)} ${sps.toFixed(0)} samples/s`);
        },
        onValidation: (rec) => {
          const line = describeValidation(rec);
          if (bar) { bar.stop(); log(line); bar.start(opts.steps, rec.step, { terms: '', sps: '' }); } else if (mode !== 'none') log(line);
        },
        log,
        signal,
      }, resume);
    bar?.stop();
    disposeNetworks(result.nets);
    const last = result.history[result.history.length - 1];
    if (result.step > 0 || resume) log(`checkpoint: ${opts.out} (config.json, metrics.jsonl, training.svg)`);
    return { out: opts.out, last, step: result.step, interrupted: result.interrupted };
  } catch (e) {
    bar?.stop();
    throw e;
  }
}

/**
 * The CLI command. Ctrl-C or SIGTERM stops after the step in progress, saves a checkpoint of it
 * and exits 130 / 143; `--resume` continues from there. A second signal exits at once: the save
 * in progress is atomic, so --out then holds the previous checkpoint.
 */
export async function runTrainCommand(opts: TrainOptions): Promise<void> {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const off = onStopSignals((sig) => {
    if (stoppedBy) {
      process.stderr.write(`\n${sig}: exiting now; '${opts.out}' keeps its last complete checkpoint\n`);
      process.exit(signalExitCode(sig));
    }
    stoppedBy = sig;
    process.stderr.write(`\n${signalName(sig)}: stopping after this step and saving a checkpoint (send it again to exit at once)...\n`);
    controller.abort();
  });
  try {
    const r = await runTrain(opts, undefined, controller.signal);
    if (r.interrupted) {
      process.stderr.write(r.step > 0 || opts.resume
        ? `interrupted: the checkpoint in '${opts.out}' is at step ${r.step} of ${opts.steps}; run the same command with --resume to continue\n`
        : `interrupted before the first step: no checkpoint written\n`);
      process.exitCode = signalExitCode(stoppedBy ?? 'SIGINT');
    }
  } finally {
    off();
  }
}

// `jepa-mpc train`: read a collected dataset, pick a backend, train the JEPA (or the generative
// baseline) with a progress display, and leave a checkpoint folder behind. --resume continues
// from the checkpoint already in --out.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { ensureWritableTarget } from '../sim/atomicWrite.ts';
import { UserError } from '../sim/errors.ts';
import { flagOf } from '../sim/flags.ts';
import type { TaskDefinition, TaskTrainDefaults } from '../sim/task.ts';
import { builtinTasks, loadTask } from '../sim/tasks/registry.ts';
import type { EnvSpec, EpisodeData } from '../sim/types.ts';
import { initBackend, type BackendChoice } from './backend.ts';
import { loadNetwork, readCheckpointConfig } from './checkpoint.ts';
import { disposeNetworks, type Networks } from './model/networks.ts';
import {
  defaultLoopOptions, defaultModelOptions, describeValidation, trainLoop,
  type LoopOptions, type MetricsRecord, type ModelOptions, type ResumeState,
} from './trainLoop.ts';

export interface TrainOptions extends ModelOptions, LoopOptions {
  data: string;
  out: string;
  backend: BackendChoice;
  resume: boolean;
  commandLine: string;
  /**
   * The task whose `trainDefaults` apply (an id or a task file); absent: the dataset's task, if it
   * is a built-in. Its id must be the dataset's.
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

/** The task named by --task, else the dataset's task when it is a built-in; its id must be the dataset's. */
async function trainingTask(opts: TrainOptions, spec: EnvSpec): Promise<TaskDefinition | undefined> {
  if (opts.task === undefined) return Object.hasOwn(builtinTasks, spec.taskId) ? builtinTasks[spec.taskId] : undefined;
  const task = await loadTask(opts.task);
  if (task.id !== spec.taskId) {
    throw new UserError(`--task ${opts.task} is task '${task.id}', but '${opts.data}' holds episodes of task '${spec.taskId}'`,
      `pass the task file the dataset was collected with, or drop --task`);
  }
  return task;
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function loadEpisodes(path: string): Promise<{ episodes: EpisodeData[]; spec: EnvSpec }> {
  const { openDataset } = await import('../sim/datasetReader.ts');
  const ds = await openDataset(path);
  try {
    const episodes: EpisodeData[] = [];
    for (let i = 0; i < ds.numEpisodes; i++) episodes.push(ds.readEpisode(i));
    return { episodes, spec: ds.info.envSpec };
  } finally {
    ds.close();
  }
}

async function resumeState(out: string, sha: string, log: (s: string) => void): Promise<ResumeState> {
  if (!existsSync(join(out, 'config.json'))) {
    throw new UserError(`--resume: '${out}' holds no checkpoint to continue from`, 'drop --resume to start a new training run there');
  }
  const config = readCheckpointConfig(out);
  if (config.data.sha256 !== sha) {
    throw new UserError(`--resume: the checkpoint in '${out}' was trained on a different dataset (sha256 ${config.data.sha256.slice(0, 12)}… vs ${sha.slice(0, 12)}…)`,
      'resume with the same --data file, or train into a new --out folder');
  }
  const names = ['encoder', 'predictor', ...(config.model.kind === 'generative' ? ['decoder'] : []), ...(config.model.target === 'ema' && config.model.kind === 'jepa' ? ['target'] : [])];
  const loaded: Record<string, Networks[keyof Networks]> = {};
  for (const n of names) loaded[n] = await loadNetwork(out, n, config);
  const nets = loaded as unknown as Networks;
  const history: MetricsRecord[] = existsSync(join(out, 'metrics.jsonl'))
    ? readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as MetricsRecord)
    : [];
  log(`resuming from step ${config.training.step} in '${out}' (model flags come from the checkpoint; the Adam optimizer state restarts)`);
  return { nets, config, history };
}

export async function runTrain(given: TrainOptions, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<{ out: string; last: MetricsRecord | undefined }> {
  let opts = given;
  if (!existsSync(opts.data)) {
    throw new UserError(`dataset '${opts.data}' does not exist`, 'collect one first, e.g. jepa-mpc collect --task slide --episodes 200 --out data/slide.h5');
  }
  ensureWritableTarget(opts.out, 'directory');
  if (opts.model === 'generative' && opts.obs === 'state') {
    throw new UserError('--model generative reconstructs depth images, so it cannot use --obs state', 'drop --obs state (or use --model jepa)');
  }
  // Validated here, before the backend and the data load, so a bad combination fails at once.
  const conflict = keypointConflict(opts, opts.keypoints);
  if (conflict) throw new UserError(...conflict);
  const backend = await initBackend(opts.backend, log);
  const { episodes, spec } = await loadEpisodes(opts.data);
  const sha = await fileSha256(opts.data);
  log(`data: ${episodes.length} episodes, ${episodes.reduce((s, e) => s + e.length, 0)} steps from '${opts.data}' (task ${spec.taskId})`);
  const layered = withTaskTrainDefaults(opts, (await trainingTask(opts, spec))?.trainDefaults);
  opts = layered.opts;
  if (layered.fromTask.length > 0) {
    log(`task ${spec.taskId} sets ${layered.fromTask.map((k) => `${flagOf(k)} ${opts[k]}`).join(' ')} (its trainDefaults; a flag overrides each)`);
  }
  const resume = opts.resume ? await resumeState(opts.out, sha, log) : undefined;
  if (resume && resume.config.training.step > opts.steps) {
    disposeNetworks(resume.nets);
    throw new UserError(`--resume: the checkpoint is already at step ${resume.config.training.step}, beyond --steps ${opts.steps}`,
      `pass a larger --steps to train further, or --steps ${resume.config.training.step} to only refit the probe and failure heads`);
  }
  if (resume && resume.config.training.step === opts.steps) {
    log(`--steps ${opts.steps} is the step already reached: no training; validating, refitting the probe and failure heads and saving`);
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
      { out: opts.out, episodes, spec, data: { path: opts.data, sha256: sha, episodes: episodes.length }, backend, commandLine: opts.commandLine },
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
      }, resume);
    bar?.stop();
    disposeNetworks(result.nets);
    const last = result.history[result.history.length - 1];
    log(`checkpoint: ${opts.out} (config.json, metrics.jsonl, training.svg)`);
    return { out: opts.out, last };
  } catch (e) {
    bar?.stop();
    throw e;
  }
}

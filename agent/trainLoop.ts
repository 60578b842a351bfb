// The training loop over in-memory episodes: sample windows, step, validate at intervals, write
// checkpoints (atomically, with metrics.jsonl and the SVG chart), stop on a non-finite loss.
// agent/train.ts wraps it with dataset loading, backend choice and the CLI's progress display.
import * as tf from '@tensorflow/tfjs';
import { deriveSeed, Rng } from '../sim/rng.ts';
import { UserError } from '../sim/errors.ts';
import type { EnvSpec, EpisodeData } from '../sim/types.ts';
import { saveCheckpoint, type CheckpointConfig } from './checkpoint.ts';
import { APPROACH_BUDGET, approachHeadInfo, describeApproach, refitApproachHead, type ApproachMetrics } from './approachFit.ts';
import { describeFailure, failureHeadInfo, refitFailureHead, type FailureMetrics } from './failureFit.ts';
import { defaultEncoderConfig, framesOf, type KeypointMap } from './model/encoder.ts';
import { termNames, trainStep } from './model/jepa.ts';
import { buildNetworks, disposeNetworks, type ModelConfig, type Networks, type ObjectiveConfig } from './model/networks.ts';
import { formatProbePrediction, type ProbePredictionError } from './probePrediction.ts';
import { probeModel, probeSpecFor } from './probes.ts';
import { trainingChartSvg, type ChartPoint } from './trainChart.ts';
import { TRAIN_DEFAULTS } from './trainDefaults.ts';
import { computeNormalization, EpisodeSet, sampleWindows, splitEpisodes, vecDimFor, type Normalization } from './trainData.ts';
import type { DataSource } from './trainSources.ts';
import { validate, type ValidationResult } from './validate.ts';
import type { ModelKind } from './worldModel.ts';

export interface ModelOptions extends ObjectiveConfig {
  model: ModelKind;
  obs: 'depth' | 'state';
  /** Scene latent dims (with proprio 'split', the 3 body dims come on top). */
  latent: number;
  /** split: the latent is [scene from depth, normalized proprio]; mixed: proprio feeds every dim. */
  proprio: 'split' | 'mixed';
  hidden: number;
  predictorHidden: number;
  /** Depth frames the encoder sees per observation: 1, or 2 (current + previous, for velocities). */
  frames: number;
  /** Keypoints in the depth encoder's scene latent (0: none). */
  keypoints: number;
  /** How the keypoint maps weigh pixels (encoder.ts, SpatialSoftmax). */
  keypointMap: KeypointMap;
}

export interface LoopOptions {
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  evalEvery: number;
  valFraction: number;
  /** The failure head's fit: Adam steps, and the cap on its training transitions. */
  headSteps: number;
  headTransitions: number;
}

const { steps, batch, lr, seed, evalEvery, valFraction, headSteps, headTransitions, ...modelDefaults } = TRAIN_DEFAULTS;
export const defaultModelOptions: ModelOptions = modelDefaults;
export const defaultLoopOptions: LoopOptions = { steps, batch, lr, seed, evalEvery, valFraction, headSteps, headTransitions };

/**
 * Cosine decay from lr to lr/10 over the run. With a constant rate, a 1500-step SIGReg run on
 * slide was healthy at step 1000 and blew up (loss x8, effective rank 1) in its last 60 steps;
 * decaying the rate lets the late steps refine instead of kick.
 */
export function learningRateAt(lr: number, step: number, steps: number): number {
  const p = Math.min(Math.max(step / Math.max(steps, 1), 0), 1);
  return lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/** tfjs keeps the rate in a protected field that applyGradients reads on every call. */
function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

export function modelConfigFrom(o: ModelOptions, spec: EnvSpec): ModelConfig {
  const { width, height } = spec.obsSize;
  const obs = o.model === 'generative' ? 'depth' : o.obs;
  // Two frames only for images: the state ablation already holds the velocities.
  const frames = obs === 'depth' ? o.frames : 1;
  const vecDim = vecDimFor(obs, spec.stateLabels.length, frames);
  // The split needs an image to take the scene from; the state ablation stays mixed.
  const bodyDim = o.proprio === 'split' && obs === 'depth' ? vecDim : 0;
  const latentDim = o.latent + bodyDim;
  const encoder = { ...defaultEncoderConfig(obs, height, width, vecDim, latentDim, bodyDim, frames, o.keypoints, o.keypointMap), hidden: o.hidden };
  return {
    kind: o.model, obs, encoder,
    predictor: { latentDim, actionDim: 3, hidden: o.predictorHidden, layers: 2 },
    decoder: o.model === 'generative' ? { latentDim, hidden: o.hidden, pixels: width * height } : undefined,
    reg: o.reg, regWeight: o.regWeight, target: o.target, ema: o.ema, loss: o.loss, k: o.k, rolloutWeight: o.rolloutWeight, smoothWeight: o.smoothWeight,
  };
}

export interface MetricsRecord {
  step: number;
  samples: number;
  seconds: number;
  samplesPerSec: number;
  train: Record<string, number>;
  val: {
    horizons: ValidationResult['horizons']; collapse: ValidationResult['collapse']; probeR2: Record<string, number>;
    /** The failure head's held-out scores (absent in records written before it existed). */
    failure?: FailureMetrics;
    /** The approach head's held-out fit (absent in records written before it existed). */
    approach?: ApproachMetrics;
    /** The probe's bottle-position error from rolled-out latents, per horizon (absent in older records). */
    probePrediction?: ProbePredictionError[];
  };
}

export interface LoopHooks {
  /** Called after each step with the loss terms by name. */
  onStep?: (step: number, terms: Record<string, number>, samplesPerSec: number, nets?: Networks) => void;
  onValidation?: (rec: MetricsRecord) => void;
  log?: (s: string) => void;
  /** Once aborted, training stops after the step in progress and saves a checkpoint of that step. */
  signal?: AbortSignal;
}

/** State carried over by --resume. */
export interface ResumeState { nets: Networks; config: CheckpointConfig; history: MetricsRecord[] }

export interface LoopContext {
  out: string;
  episodes: EpisodeData[];
  spec: EnvSpec;
  data: { path: string; sha256: string; episodes: number; sources?: DataSource[] };
  /** Held-out episodes chosen by the caller (trainSources.splitSources); absent: splitEpisodes over all. A resumed run keeps its checkpoint's. */
  split?: { train: number[]; val: number[] };
  backend: string;
  commandLine: string;
  /**
   * Episodes the approach head is fitted on besides the training data's (`train --approach-data`),
   * split into training and held-out episodes like the data; the world model never trains on them.
   */
  approachData?: { episodes: EpisodeData[]; spec: EnvSpec; split: { train: number[]; val: number[] }; sources: DataSource[] };
}

export interface LoopResult { nets: Networks; config: ModelConfig; history: MetricsRecord[]; step: number; normalization: Normalization; interrupted: boolean }

/** The episodes and split the approach head is fitted on: the training data's, plus any approach data after them. */
function approachFitData(set: EpisodeSet, split: { train: number[]; val: number[] }, extra: LoopContext['approachData']): { set: EpisodeSet; split: { train: number[]; val: number[] } } {
  if (!extra) return { set, split };
  const n = set.episodes.length;
  return {
    set: new EpisodeSet([...set.episodes, ...extra.episodes], extra.spec),
    split: { train: [...split.train, ...extra.split.train.map((i) => i + n)], val: [...split.val, ...extra.split.val.map((i) => i + n)] },
  };
}

export async function trainLoop(ctx: LoopContext, modelOpts: ModelOptions, loop: LoopOptions, hooks: LoopHooks = {}, resume?: ResumeState): Promise<LoopResult> {
  const log = hooks.log ?? (() => {});
  const set = new EpisodeSet(ctx.episodes, ctx.spec);
  // A resumed run keeps the checkpoint's split (--seed may differ), so held-out stays held out.
  const split = resume ? { train: resume.config.data.trainEpisodes, val: resume.config.data.valEpisodes } : ctx.split ?? splitEpisodes(ctx.episodes.length, loop.valFraction, loop.seed);
  const cfg = resume ? resume.config.model : modelConfigFrom(modelOpts, ctx.spec);
  const norm = resume ? resume.config.normalization : computeNormalization(split.train.map((i) => ctx.episodes[i]), ctx.spec);
  const probeSpec = probeSpecFor(ctx.spec.stateLabels);
  const approachFit = approachFitData(set, split, ctx.approachData);
  const headBudget = { steps: loop.headSteps, transitions: loop.headTransitions };
  const pool = set.windows(split.train, cfg.k);
  if (pool.length === 0) {
    throw new UserError(`no training window of ${cfg.k} steps fits in the training episodes (longest has ${Math.max(...split.train.map((i) => ctx.episodes[i].length))} steps)`,
      'collect longer episodes or train with a smaller --k');
  }
  const nets = resume ? resume.nets : buildNetworks(cfg, loop.seed);
  const optimizer = tf.train.adam(loop.lr);
  const history = resume ? [...resume.history] : [];
  let step = resume ? resume.config.training.step : 0;
  const prevSeconds = resume ? resume.config.training.seconds : 0;
  let samples = resume ? resume.config.training.samples : 0;
  const names = termNames(cfg);
  const sums = new Float64Array(names.length);
  let sumCount = 0;
  const t0 = performance.now();
  let tWindow = t0, samplesWindow = 0;
  let lastGood = history.length > 0 ? history[history.length - 1].step : -1;

  const checkpoint = async (val: ValidationResult) => {
    const probe = probeModel(val.probe, cfg.encoder.latentDim);
    const networks: Record<string, tf.LayersModel> = { encoder: nets.encoder, predictor: nets.predictor, probe };
    if (nets.target) networks.target = nets.target;
    if (nets.decoder) networks.decoder = nets.decoder;
    if (nets.failure) networks.failure = nets.failure;
    if (nets.approach) networks.approach = nets.approach;
    const last = history[history.length - 1];
    const points: ChartPoint[] = history.map((h) => ({
      step: h.step, loss: h.train.loss, effRank: h.val.collapse.effectiveRank, latentDim: cfg.encoder.latentDim,
      ratios: Object.fromEntries(h.val.horizons.map((x) => [`${x.h}-step`, x.ratio])),
    }));
    try {
      await saveCheckpoint(ctx.out, networks, {
        model: cfg, envSpec: ctx.spec, normalization: norm, probe: probeSpec,
        data: { ...ctx.data, trainEpisodes: split.train, valEpisodes: split.val },
        training: { step, steps: loop.steps, batch: loop.batch, lr: loop.lr, seed: loop.seed, backend: ctx.backend, seconds: prevSeconds + (performance.now() - t0) / 1000, samples },
        metrics: last ? { ...last } as unknown as Record<string, unknown> : null, commandLine: ctx.commandLine,
        ...(nets.failure ? { failure: failureHeadInfo(ctx.spec, headBudget) } : {}),
        ...(nets.approach ? { approach: approachHeadInfo(last?.val.approach?.steps ?? APPROACH_BUDGET.steps, ctx.approachData) } : {}),
      }, {
        'metrics.jsonl': history.map((h) => JSON.stringify(h)).join('\n') + '\n',
        'training.svg': trainingChartSvg(points, `${cfg.kind} (${cfg.obs}, reg ${cfg.reg})`),
      });
    } finally {
      probe.dispose();
    }
    lastGood = step;
  };

  // Validate, refit the heads on frozen latents (probe, failure, approach) and write the checkpoint.
  const validateAndSave = async () => {
    const val = validate(nets, cfg, set, split, norm, probeSpec, loop.seed);
    const failure = refitFailureHead(nets, cfg, set, split, norm, loop.seed, headBudget);
    const approach = refitApproachHead(nets, cfg, approachFit.set, approachFit.split, norm, loop.seed);
    const seconds = prevSeconds + (performance.now() - t0) / 1000;
    const prev = history[history.length - 1];
    const rec: MetricsRecord = {
      step, samples, seconds, samplesPerSec: samples / Math.max(seconds, 1e-6),
      // A refit without training steps (resume at --steps) keeps the last record's loss terms.
      train: sumCount === 0 && prev?.step === step ? prev.train : Object.fromEntries(names.map((n, i) => [n, sums[i] / Math.max(sumCount, 1)])),
      val: { horizons: val.horizons, collapse: val.collapse, probeR2: val.probeR2, failure, ...(approach.fitted ? { approach } : {}), ...(val.probePrediction ? { probePrediction: val.probePrediction } : {}) },
    };
    sums.fill(0);
    sumCount = 0;
    if (prev?.step === step) history[history.length - 1] = rec;
    else history.push(rec);
    hooks.onValidation?.(rec);
    await checkpoint(val);
  };

  let interrupted = false;
  try {
    while (step < loop.steps) {
      if (hooks.signal) {
        // A train step never yields, so the signal handler gets its turn here.
        await new Promise<void>((r) => setImmediate(r));
        if (hooks.signal.aborted) { interrupted = true; break; }
      }
      const rng = new Rng(deriveSeed(loop.seed, step));
      const batch = set.batch(sampleWindows(pool, loop.batch, rng), cfg.k, cfg.obs, norm, cfg.kind === 'generative', framesOf(cfg.encoder));
      setLearningRate(optimizer, learningRateAt(loop.lr, step, loop.steps));
      const terms = trainStep(nets, cfg, batch, optimizer, step);
      if (!terms.every(Number.isFinite)) {
        const kept = lastGood >= 0 ? `the last good checkpoint (step ${lastGood}) is kept in '${ctx.out}'` : 'no checkpoint was written yet';
        throw new UserError(`training diverged at step ${step + 1}: the loss is ${terms[0]} (terms ${names.map((n, i) => `${n}=${terms[i]}`).join(', ')}); ${kept}`,
          'lower the learning rate (--lr) or the regularizer weight (--reg-weight), or resume from the checkpoint with --resume');
      }
      step++;
      samples += loop.batch;
      samplesWindow += loop.batch;
      terms.forEach((v, i) => { sums[i] += v; });
      sumCount++;
      const now = performance.now();
      const sps = samplesWindow / Math.max((now - tWindow) / 1000, 1e-6);
      if (now - tWindow > 5000) { tWindow = now; samplesWindow = 0; }
      hooks.onStep?.(step, Object.fromEntries(names.map((n, i) => [n, terms[i]])), sps, nets);
      if (step % loop.evalEvery === 0 || step === loop.steps) await validateAndSave();
    }
    // `--resume` at the step count already reached: no training, but the heads are refitted and saved.
    if (interrupted && step > Math.max(lastGood, 0)) await validateAndSave();
    else if (!interrupted && resume && step === resume.config.training.step) await validateAndSave();
  } catch (e) {
    optimizer.dispose();
    disposeNetworks(nets);
    throw e;
  }
  optimizer.dispose();
  log(interrupted ? `stopped after ${step} of ${loop.steps} steps` : `trained ${step} steps`);
  return { nets, config: cfg, history, step, normalization: norm, interrupted };
}

export function describeValidation(rec: MetricsRecord): string {
  const h = rec.val.horizons.map((x) => `${x.h}-step ${x.ratio.toFixed(3)}`).join(', ');
  const c = rec.val.collapse;
  const p = Object.entries(rec.val.probeR2).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
  return `step ${rec.step}: pred/copy ${h} | std mean ${c.meanStd.toFixed(3)} min ${c.minStd.toFixed(3)}, eff. rank ${c.effectiveRank.toFixed(1)}` +
    `${c.collapsed ? ' (COLLAPSED)' : ''} | probe R2 ${p}${formatProbePrediction(rec.val.probePrediction)}${describeFailure(rec.val.failure)}${describeApproach(rec.val.approach)}`;
}

// Fitting the failure head (agent/model/failureHead.ts) after training, where the probes are
// fitted: on frozen latents of the training episodes' transitions and the predictor's change for
// their actions, scored on the held-out episodes (AUC, balanced accuracy, positive counts). Labels
// come from termination flags and episode outcomes only; the privileged state is never read.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../sim/rng.ts';
import { builtinTasks } from '../sim/tasks/registry.ts';
import type { EnvSpec } from '../sim/types.ts';
import type { Matrix } from './metrics.ts';
import {
  balancedAccuracy, FAILURE_FIT_DEFAULTS, FAILURE_INPUTS_CHANGE, failureFeatures, failureLabels, failureProbabilities, rocAuc, shiftLogit,
  trainFailureHead, type FailureFitOptions, type FailureInputs,
} from './model/failureHead.ts';
import { sceneDimsOf } from './model/encoder.ts';
import { applyPredictor } from './model/predictor.ts';
import type { ModelConfig, Networks } from './model/networks.ts';
import { actionAffine, normalizeAction, type EpisodeSet, type Normalization, type WindowRef } from './trainData.ts';
import { encodeFrames } from './validate.ts';

export interface FailureMetrics {
  /** False when the training episodes hold no failed transition (no head is stored then). */
  fitted: boolean;
  trainTransitions: number;
  trainPositives: number;
  valTransitions: number;
  valPositives: number;
  /** Held-out ROC AUC of the failure probability; null when a class is missing there. */
  auc: number | null;
  /** Held-out balanced accuracy at p = the training base rate (the balanced fit's 0.5); null when a class is missing there. */
  balancedAccuracy: number | null;
  /** Held-out mean failure probability of the positive / negative transitions. */
  meanPPositive: number | null;
  meanPNegative: number | null;
}

/** What config.json records about a stored head (absent in checkpoints without one). */
export interface FailureHeadInfo {
  hidden: number;
  inputs: FailureInputs;
  labels: string;
  /** The fit's Adam steps and its cap on training transitions (absent in older checkpoints: 600 and 20,000). */
  steps?: number;
  transitions?: number;
}

const LABELS_TEXT = {
  any: 'the episode terminates with outcome failure or burst after this transition',
  burst: 'the episode terminates with a burst after this transition (the task\'s failures depend on the goal, or the data holds several tasks)',
};

/**
 * The head fit's budget, as `train --head-steps / --head-transitions` set it (defaults in
 * TRAIN_DEFAULTS): Adam steps, and the most transitions a fit or a score looks at; beyond it the
 * negatives are subsampled (all positives are kept).
 */
export interface FailureFitBudget {
  steps: number;
  transitions: number;
}

interface Transitions {
  refs: WindowRef[];
  labels: Uint8Array;
  /** Share of failed transitions among all of the episodes' transitions (before subsampling). */
  baseRate: number;
}

/**
 * The task's failureDependsOnGoal as the dataset recorded it; datasets recorded before it was
 * stored take it from the built-in task of the same id.
 */
export function failureDependsOnGoal(spec: EnvSpec): boolean {
  return spec.failureDependsOnGoal ?? builtinTasks[spec.taskId]?.failureDependsOnGoal ?? false;
}

function transitions(set: EpisodeSet, episodes: number[], max: number, seed: number): Transitions {
  const pos: WindowRef[] = [], neg: WindowRef[] = [];
  const goalDependent = failureDependsOnGoal(set.spec);
  for (const e of episodes) {
    const y = failureLabels(set.episodes[e], goalDependent);
    y.forEach((v, t) => (v ? pos : neg).push({ episode: e, start: t }));
  }
  let kept = neg;
  if (pos.length + neg.length > max) {
    const rng = new Rng(seed);
    kept = rng.subset(neg, Math.max(0, max - pos.length));
  }
  const refs = [...pos, ...kept];
  const baseRate = pos.length / Math.max(pos.length + neg.length, 1);
  return { refs, labels: Uint8Array.from(refs, (_, i) => (i < pos.length ? 1 : 0)), baseRate };
}

function actionsOf(set: EpisodeSet, refs: WindowRef[], norm: Normalization): Float32Array {
  const out = new Float32Array(refs.length * 3);
  const affine = actionAffine(norm);
  refs.forEach((r, i) => normalizeAction(set.episodes[r.episode].actions.subarray(r.start * 3, r.start * 3 + 3), out, i * 3, affine));
  return out;
}

/** The head's input rows: the encoded latent and the predictor's change of its scene for the row's action. */
function features(nets: Networks, cfg: ModelConfig, set: EpisodeSet, refs: WindowRef[], norm: Normalization, actions: Float32Array): Matrix {
  const { z } = encodeFrames(nets, cfg, set, refs, norm);
  const out = tf.tidy(() => {
    const zt = tf.tensor2d(z.data, [z.rows, z.cols]);
    const next = applyPredictor(nets.predictor, zt, tf.tensor2d(actions, [z.rows, 3]));
    return failureFeatures(FAILURE_INPUTS_CHANGE, zt, next, sceneDimsOf(cfg.encoder));
  });
  const data = out.dataSync() as Float32Array;
  const cols = out.shape[1];
  out.dispose();
  return { rows: z.rows, cols, data };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : null);
const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/**
 * Fit a new failure head on the training episodes (latents from `nets.encoder`, the encoder the
 * planner encodes with, as for the probes) and score it on the validation episodes. Replaces
 * `nets.failure` (disposing the old one); leaves it undefined if there is nothing to learn from.
 */
export function refitFailureHead(nets: Networks, cfg: ModelConfig, set: EpisodeSet, split: { train: number[]; val: number[] },
  norm: Normalization, seed: number, budget: FailureFitBudget): FailureMetrics {
  const o: FailureFitOptions = { ...FAILURE_FIT_DEFAULTS, seed, steps: budget.steps };
  nets.failure?.dispose();
  nets.failure = undefined;
  const train = transitions(set, split.train, budget.transitions, seed + 3);
  const val = transitions(set, split.val, budget.transitions, seed + 4);
  const trainPositives = train.labels.reduce((s, v) => s + v, 0);
  const valPositives = val.labels.reduce((s, v) => s + v, 0);
  const metrics: FailureMetrics = {
    fitted: false, trainTransitions: train.refs.length, trainPositives, valTransitions: val.refs.length, valPositives,
    auc: null, balancedAccuracy: null, meanPPositive: null, meanPNegative: null,
  };
  if (trainPositives === 0 || trainPositives === train.refs.length) return metrics;
  const trainActions = actionsOf(set, train.refs, norm);
  const head: tf.LayersModel = trainFailureHead(features(nets, cfg, set, train.refs, norm, trainActions), trainActions, train.labels, o);
  // The class-balanced fit scores as if failures were as common as not; shifting the logit by the
  // true prior log-odds makes its output a probability the planner can weigh against distance
  // (uncorrected, a 1-in-40 risk read as ~0.5 and the planner would not touch the bottle).
  shiftLogit(head, Math.log(train.baseRate / (1 - train.baseRate)));
  nets.failure = head;
  metrics.fitted = true;
  if (val.refs.length > 0) {
    const valActions = actionsOf(set, val.refs, norm);
    const p = failureProbabilities(head, features(nets, cfg, set, val.refs, norm, valActions), valActions);
    const ps = Array.from(p);
    metrics.auc = finiteOrNull(rocAuc(p, val.labels));
    // At the base rate, the threshold where the balanced fit said 0.5.
    metrics.balancedAccuracy = finiteOrNull(balancedAccuracy(p, val.labels, train.baseRate));
    metrics.meanPPositive = mean(ps.filter((_, i) => val.labels[i] === 1));
    metrics.meanPNegative = mean(ps.filter((_, i) => val.labels[i] === 0));
  }
  return metrics;
}

export function failureHeadInfo(spec: EnvSpec, budget: FailureFitBudget, hidden = FAILURE_FIT_DEFAULTS.hidden): FailureHeadInfo {
  return {
    hidden, inputs: FAILURE_INPUTS_CHANGE, labels: failureDependsOnGoal(spec) ? LABELS_TEXT.burst : LABELS_TEXT.any,
    steps: budget.steps, transitions: budget.transitions,
  };
}

/** One phrase for the train log line. */
export function describeFailure(m: FailureMetrics | undefined): string {
  if (!m) return '';
  if (!m.fitted) return ` | failure head: not fitted (${m.trainPositives} failed transitions in training)`;
  const auc = m.auc === null ? 'n/a' : m.auc.toFixed(3);
  const bal = m.balancedAccuracy === null ? 'n/a' : m.balancedAccuracy.toFixed(2);
  return ` | failure AUC ${auc}, bal. acc ${bal} (val ${m.valPositives} pos / ${m.valTransitions})`;
}

// Fitting the approach head (agent/model/approachHead.ts) after training, where the probes and the
// failure head are fitted: on frozen latents of training episodes, scored by held-out R² on the
// validation episodes. Pairs and targets come from latents only; the privileged state is never read.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../sim/rng.ts';
import type { Matrix } from './metrics.ts';
import {
  APPROACH_FIT_DEFAULTS, approachPairs, approachR2, motionThreshold, trainApproachHead, type EpisodeLatents,
} from './model/approachHead.ts';
import { sceneDimsOf } from './model/encoder.ts';
import type { ModelConfig, Networks } from './model/networks.ts';
import type { EpisodeSet, Normalization, WindowRef } from './trainData.ts';
import type { DataSource } from './trainSources.ts';
import { encodeFrames } from './validate.ts';

export interface ApproachMetrics {
  /** False when the model has no body part in its latent, or no pair in which the scene moved. */
  fitted: boolean;
  trainPairs: number;
  valPairs: number;
  /** Adam steps of the fit (0 when not fitted). */
  steps: number;
  /** Held-out R² of the predicted body (null when not fitted or no held-out pair). */
  r2: number | null;
}

/** What config.json records about a stored head (absent in checkpoints without one). */
export interface ApproachHeadInfo {
  hidden: number;
  inputs: 'scene+goal scene';
  output: 'body';
  steps: number;
  pairs: number;
  /** Datasets beyond the model's own whose episodes the head was fitted on too (`train --approach-data`). */
  alsoFittedOn?: DataSource[];
  /**
   * Their training and held-out episodes (indices into their episodes in `alsoFittedOn`'s order),
   * so that a resumed run scores the head on the same held-out episodes whatever its --seed.
   */
  alsoFittedSplit?: { train: number[]; val: number[] };
}

/**
 * The fit's budget: Adam steps (fewer when 25 passes over the pairs take fewer), the most episodes encoded per split (encoding is what a refit
 * costs), and the most pairs trained on.
 */
export interface ApproachFitBudget {
  steps: number;
  episodes: number;
  pairs: number;
}

// 2400 episodes take in nearly all of models/world's training episodes and those of --approach-data:
// fitted on a third of them (800) with slide-far's data, slide-far planned 39 of 100 starts
// (seeds 777, 31337) against 50 of 100 on 2400.
export const APPROACH_BUDGET: ApproachFitBudget = { steps: APPROACH_FIT_DEFAULTS.steps, episodes: 2400, pairs: 40000 };

const APPROACH_PASSES = 25;
const APPROACH_MIN_STEPS = 200;

/** Encoder frames per encodeFrames call (each frame's depth image is batched in memory). */
const ENCODE_FRAMES = 2048;

/** Frames up to an episode's end: its transitions less the tail, plus the first frame. */
const framesTo = (set: EpisodeSet, e: number) => set.episodes[e].length - (set.episodes[e].tail ?? 0) + 1;

/** Latents of every frame up to each episode's end (its tail left out). */
function episodeLatents(nets: Networks, cfg: ModelConfig, set: EpisodeSet, episodes: number[], norm: Normalization): EpisodeLatents[] {
  const D = cfg.encoder.latentDim;
  const out: EpisodeLatents[] = [];
  let group: number[] = [];
  let refs: WindowRef[] = [];
  const flush = () => {
    if (refs.length === 0) return;
    const { z } = encodeFrames(nets, cfg, set, refs, norm);
    let row = 0;
    for (const e of group) {
      const frames = framesTo(set, e);
      out.push({ z: z.data.slice(row * D, (row + frames) * D), frames });
      row += frames;
    }
    group = [];
    refs = [];
  };
  for (const e of episodes) {
    const frames = framesTo(set, e);
    if (refs.length + frames > ENCODE_FRAMES) flush();
    group.push(e);
    for (let t = 0; t < frames; t++) refs.push({ episode: e, start: t });
  }
  flush();
  return out;
}

function pairRows(eps: EpisodeLatents[], D: number, S: number, threshold: number, max: number, rng: Rng): { x: Matrix; y: Matrix } {
  const all: [EpisodeLatents, number, number][] = [];
  for (const e of eps) for (const [t, g] of approachPairs(e, D, S, threshold)) all.push([e, t, g]);
  const kept = rng.subset(all, max);
  const B = D - S;
  const x = new Float32Array(kept.length * 2 * S), y = new Float32Array(kept.length * B);
  kept.forEach(([e, t, g], i) => {
    x.set(e.z.subarray(t * D, t * D + S), i * 2 * S);
    x.set(e.z.subarray(g * D, g * D + S), i * 2 * S + S);
    y.set(e.z.subarray(t * D + S, (t + 1) * D), i * B);
  });
  return { x: { rows: kept.length, cols: 2 * S, data: x }, y: { rows: kept.length, cols: B, data: y } };
}

/**
 * Fit a new approach head on the training episodes (latents from `nets.encoder`, the encoder the
 * planner encodes with) and score it on the validation episodes. Replaces `nets.approach`
 * (disposing the old one); leaves it undefined if there is nothing to learn from.
 */
export function refitApproachHead(nets: Networks, cfg: ModelConfig, set: EpisodeSet, split: { train: number[]; val: number[] },
  norm: Normalization, seed: number, budget: ApproachFitBudget = APPROACH_BUDGET): ApproachMetrics {
  nets.approach?.dispose();
  nets.approach = undefined;
  const D = cfg.encoder.latentDim;
  const S = sceneDimsOf(cfg.encoder);
  const metrics: ApproachMetrics = { fitted: false, trainPairs: 0, valPairs: 0, steps: 0, r2: null };
  if (S >= D || cfg.kind !== 'jepa') return metrics;
  const rng = new Rng(seed + 11);
  const trainEps = episodeLatents(nets, cfg, set, rng.subset(split.train, budget.episodes), norm);
  const threshold = motionThreshold(trainEps, D, S);
  const train = pairRows(trainEps, D, S, threshold, budget.pairs, rng);
  metrics.trainPairs = train.x.rows;
  if (train.x.rows === 0) return metrics;
  // At most APPROACH_PASSES passes over the pairs: a small dataset (a test's) needs no more.
  const steps = Math.min(budget.steps, Math.max(APPROACH_MIN_STEPS, Math.ceil((APPROACH_PASSES * train.x.rows) / APPROACH_FIT_DEFAULTS.batch)));
  const head = trainApproachHead(train.x, train.y, { ...APPROACH_FIT_DEFAULTS, seed, steps });
  nets.approach = head;
  metrics.fitted = true;
  metrics.steps = steps;
  const valEps = episodeLatents(nets, cfg, set, rng.subset(split.val, Math.max(1, Math.floor(budget.episodes / 4))), norm);
  const val = pairRows(valEps, D, S, threshold, Math.max(1, Math.floor(budget.pairs / 4)), rng);
  metrics.valPairs = val.x.rows;
  if (val.x.rows > 0) {
    const r2 = approachR2(head, val.x, val.y);
    metrics.r2 = Number.isFinite(r2) ? r2 : null;
  }
  return metrics;
}

/** `steps`: the fit's Adam steps (ApproachMetrics.steps); `also`: the --approach-data sources and their split. */
export function approachHeadInfo(steps: number, also?: { sources: DataSource[]; split: { train: number[]; val: number[] } }): ApproachHeadInfo {
  return {
    hidden: APPROACH_FIT_DEFAULTS.hidden, inputs: 'scene+goal scene', output: 'body', steps, pairs: APPROACH_BUDGET.pairs,
    ...(also && also.sources.length > 0 ? { alsoFittedOn: also.sources, alsoFittedSplit: also.split } : {}),
  };
}

/** One phrase for the train log line. */
export function describeApproach(m: ApproachMetrics | undefined): string {
  if (!m) return '';
  if (!m.fitted) return m.trainPairs === 0 ? '' : ' | approach head: not fitted';
  return ` | approach R2 ${m.r2 === null ? 'n/a' : m.r2.toFixed(2)} (${m.trainPairs} pairs)`;
}

/** The body the head puts with each row's scene and goal scene: [N, S] and [1 or N, S] -> [N, B]. Caller disposes. */
export function approachTargetsOf(head: tf.LayersModel, scene: tf.Tensor2D, goalScene: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const g = goalScene.shape[0] === scene.shape[0] ? goalScene : tf.tile(goalScene, [scene.shape[0], 1]);
    return head.apply(tf.concat([scene, g], 1)) as tf.Tensor2D;
  });
}

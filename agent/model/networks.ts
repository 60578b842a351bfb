// The set of networks a world model is made of, and its architecture config (the part of
// config.json that rebuilds them). One place builds them so training, checkpoint loading and
// the benchmark always agree on shapes.
import * as tf from '@tensorflow/tfjs';
import type { ModelKind } from '../worldModel.ts';
import { buildEncoder, encoderMacs, type EncoderConfig } from './encoder.ts';
import { buildPredictor, predictorMacs, type PredictorConfig } from './predictor.ts';
import { buildDecoder, decoderMacs, type DecoderConfig } from './generative.ts';
import type { RegKind } from './regularizers.ts';

/** ema: moving-average encoder copy; stopgrad: the encoder with its gradient cut; joint: no
 * protection at all (both branches trained, as in LeWM, where SIGReg alone prevents collapse). */
export type TargetKind = 'ema' | 'stopgrad' | 'joint';
export type LossKind = 'l1' | 'mse';

/** The training objective: the same fields in the CLI's options and in config.json. */
export interface ObjectiveConfig {
  reg: RegKind;
  regWeight: number;
  target: TargetKind;
  ema: number;
  loss: LossKind;
  /** Rollout length (actions per training window). */
  k: number;
  rolloutWeight: number;
  /**
   * Weight of the temporal-smoothness term (as PLDM's): the mean squared change of the scene
   * latent between consecutive frames. Absent in checkpoints written before it existed (= 0).
   */
  smoothWeight?: number;
}

export interface ModelConfig extends ObjectiveConfig {
  kind: ModelKind;
  obs: 'depth' | 'state';
  encoder: EncoderConfig;
  predictor: PredictorConfig;
  decoder?: DecoderConfig;
}

export interface Networks {
  encoder: tf.LayersModel;
  /** EMA copy of the encoder (target: 'ema' only). */
  target?: tf.LayersModel;
  predictor: tf.LayersModel;
  decoder?: tf.LayersModel;
  /**
   * The failure head (model/failureHead.ts), fitted on frozen latents when a checkpoint is saved;
   * not trained with the rest (absent until the first fit, or when the data has no failures).
   */
  failure?: tf.LayersModel;
  /** The approach head (model/approachHead.ts), fitted on frozen latents like the failure head (JEPA with a body part only). */
  approach?: tf.LayersModel;
}

export function buildNetworks(cfg: ModelConfig, seed: number): Networks {
  const encoder = buildEncoder(cfg.encoder, 'encoder', seed);
  const predictor = buildPredictor(cfg.predictor, 'predictor', seed + 1);
  const nets: Networks = { encoder, predictor };
  if (cfg.kind === 'jepa' && cfg.target === 'ema') {
    nets.target = buildEncoder(cfg.encoder, 'target', seed);
    nets.target.setWeights(encoder.getWeights());
  }
  if (cfg.kind === 'generative') {
    if (!cfg.decoder) throw new Error('generative model config lacks a decoder');
    nets.decoder = buildDecoder(cfg.decoder, 'decoder', seed + 2);
  }
  return nets;
}

export function trainableVariables(nets: Networks): tf.Variable[] {
  const models = [nets.encoder, nets.predictor, ...(nets.decoder ? [nets.decoder] : [])];
  return models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
}

export function disposeNetworks(nets: Networks): void {
  nets.encoder.dispose();
  nets.target?.dispose();
  nets.predictor.dispose();
  nets.decoder?.dispose();
  nets.failure?.dispose();
  nets.approach?.dispose();
}

/** Forward multiply-accumulates for one training window (k+1 frames, k predictor steps twice). */
export function trainWindowMacs(cfg: ModelConfig): number {
  const frames = cfg.k + 1;
  let macs = frames * encoderMacs(cfg.encoder) + 2 * cfg.k * predictorMacs(cfg.predictor);
  if (cfg.kind === 'jepa' && cfg.target === 'ema') macs += frames * encoderMacs(cfg.encoder);
  if (cfg.kind === 'generative' && cfg.decoder) macs += (frames + 2 * cfg.k) * decoderMacs(cfg.decoder);
  return macs;
}

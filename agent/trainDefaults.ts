// Default training settings, in a module without tfjs so cli.ts can show them in --help without
// loading TensorFlow.js. Chosen to fit a ~6-8 minute run on a 2-core machine (wasm, 1 thread).
import type { LossKind, TargetKind } from './model/networks.ts';
import type { KeypointMap } from './model/encoder.ts';
import type { RegKind } from './model/regularizers.ts';
import type { ModelKind } from './worldModel.ts';

export const TRAIN_DEFAULTS = {
  model: 'jepa' as ModelKind,
  obs: 'depth' as 'depth' | 'state',
  latent: 32,
  proprio: 'split' as 'split' | 'mixed',
  reg: 'vicreg' as RegKind,
  regWeight: 1,
  target: 'stopgrad' as TargetKind,
  ema: 0.99,
  loss: 'mse' as LossKind,
  k: 5,
  rolloutWeight: 1,
  smoothWeight: 1,
  hidden: 256,
  predictorHidden: 128,
  frames: 1,
  keypoints: 0,
  keypointMap: 'threshold' as KeypointMap,
  steps: 3000,
  batch: 128,
  lr: 1e-3,
  seed: 1,
  evalEvery: 500,
  valFraction: 0.1,
  // The failure head's fit (agent/failureFit.ts): Adam steps, and the cap on training transitions
  // beyond which negatives are subsampled. The fit's own defaults are these.
  headSteps: 600,
  headTransitions: 20000,
};

// How well a model predicts what matters: roll the predictor h steps from held-out windows, read
// the bottle's x and z from the predicted latent with the checkpoint's linear probe, and compare
// with the true position at t + h. The same read from the encoded true latent at t + h is the
// floor (what the probe gets right even with a perfect prediction). Both are RMSEs of the
// horizontal position error, in metres. A model that spends itself on unpredictable pixels
// (distractors) shows it here, while its pixel or latent losses may look fine.
import { linearPredict } from './metrics.ts';
import type { FittedProbe, ProbeSpec } from './probes.ts';

export interface ProbePredictionError {
  h: number;
  /** RMSE (m) of the probe's bottle (x, z) read from the rolled-out latent, against the true state at t + h. */
  rmse: number;
  /** The same from the encoded true latent at t + h. */
  floor: number;
}

/** Latents of B held-out windows at horizon h: rolled out by the predictor, and encoded from the true observation. */
export interface RolledLatents { h: number; predicted: Float32Array; encoded: Float32Array }

/** Probe outputs and state columns of the bottle's x and z, or undefined if the task has none. */
function positionColumns(probeSpec: ProbeSpec, stateLabels: readonly string[]): { out: [number, number]; state: [number, number] } | undefined {
  const ox = probeSpec.labels.indexOf('bottle_x'), oz = probeSpec.labels.indexOf('bottle_z');
  const sx = stateLabels.indexOf('x'), sz = stateLabels.indexOf('z');
  return ox < 0 || oz < 0 || sx < 0 || sz < 0 ? undefined : { out: [ox, oz], state: [sx, sz] };
}

/**
 * `state` is the windows' raw state, time-major (row t * B + b, `stateLabels.length` columns), as
 * trainData's Batch holds it. Only windows whose frame at t + h passes `shows` (validate's
 * probeTargets: the bottle exists and is in view) are scored. Undefined when the probe does not
 * read the bottle's x and z.
 */
export function probePredictionError(probe: FittedProbe, probeSpec: ProbeSpec, stateLabels: readonly string[], latentDim: number,
  rolled: readonly RolledLatents[], state: Float32Array, B: number,
  shows: (state: Float32Array, offset: number) => boolean = () => true): ProbePredictionError[] | undefined {
  const cols = positionColumns(probeSpec, stateLabels);
  if (!cols || B === 0) return undefined;
  const S = stateLabels.length;
  const rmse = (z: Float32Array, h: number): number => {
    const read = linearPredict({ rows: B, cols: latentDim, data: z }, probe.W, probe.b, probe.outputs);
    let sq = 0, n = 0;
    for (let b = 0; b < B; b++) {
      const row = (h * B + b) * S;
      if (!shows(state, row)) continue;
      n++;
      const dx = read[b * probe.outputs + cols.out[0]] - state[row + cols.state[0]];
      const dz = read[b * probe.outputs + cols.out[1]] - state[row + cols.state[1]];
      sq += dx * dx + dz * dz;
    }
    return n > 0 ? Math.sqrt(sq / n) : Number.NaN;
  };
  return rolled.map(({ h, predicted, encoded }) => ({ h, rmse: rmse(predicted, h), floor: rmse(encoded, h) }));
}

/** "h1 0.012 (floor 0.008), h4 ... m" for the train log. */
export function formatProbePrediction(errors: readonly ProbePredictionError[] | undefined): string {
  if (!errors || errors.length === 0) return '';
  return ` | probe pred. error ${errors.map((e) => `h${e.h} ${e.rmse.toFixed(3)} (floor ${e.floor.toFixed(3)})`).join(', ')} m`;
}

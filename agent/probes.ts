// Linear readouts from frozen latents to privileged quantities (bottle position and tilt), for
// evaluation and for drawing imagined plans. Fitted in closed form (ridge regression) and stored
// as a one-layer tf.layers model so the checkpoint holds it like every other network.
// The planner never uses them.
import * as tf from '@tensorflow/tfjs';
import { linearPredict, r2PerColumn, ridgeFit, type Matrix } from './metrics.ts';

/** Which state columns to probe, by label, and the names shown to users. */
const PREFERRED: [string, string][] = [['x', 'bottle_x'], ['z', 'bottle_z'], ['tilt', 'tilt']];

export interface ProbeSpec { columns: number[]; labels: string[] }

export function probeSpecFor(stateLabels: string[]): ProbeSpec {
  const columns: number[] = [];
  const labels: string[] = [];
  for (const [label, name] of PREFERRED) {
    const i = stateLabels.indexOf(label);
    if (i >= 0) { columns.push(i); labels.push(name); }
  }
  if (columns.length === 0) {
    // An unknown task: probe whatever its first few state entries are.
    stateLabels.slice(0, 3).forEach((l, i) => { columns.push(i); labels.push(l); });
  }
  return { columns, labels };
}

export function selectColumns(state: Float32Array, stateDim: number, columns: number[]): Matrix {
  const rows = state.length / stateDim;
  const data = new Float32Array(rows * columns.length);
  for (let r = 0; r < rows; r++) columns.forEach((c, j) => { data[r * columns.length + j] = state[r * stateDim + c]; });
  return { rows, cols: columns.length, data };
}

export interface FittedProbe { W: Float64Array; b: Float64Array; outputs: number }

export function fitProbe(latents: Matrix, targets: Matrix, lambda = 1e-3): FittedProbe {
  const { W, b } = ridgeFit(latents, targets, lambda);
  return { W, b, outputs: targets.cols };
}

export function probeR2(probe: FittedProbe, latents: Matrix, targets: Matrix): number[] {
  return r2PerColumn(targets, linearPredict(latents, probe.W, probe.b, probe.outputs));
}

export function probeModel(probe: FittedProbe, latentDim: number): tf.LayersModel {
  const z = tf.input({ shape: [latentDim], name: 'probe_z' });
  const layer = tf.layers.dense({ units: probe.outputs, name: 'probe_out' });
  const y = layer.apply(z) as tf.SymbolicTensor;
  const model = tf.model({ inputs: z, outputs: y, name: 'probe' });
  const w = tf.tensor2d(Float32Array.from(probe.W), [latentDim, probe.outputs]);
  const b = tf.tensor1d(Float32Array.from(probe.b));
  layer.setWeights([w, b]);
  w.dispose();
  b.dispose();
  return model;
}

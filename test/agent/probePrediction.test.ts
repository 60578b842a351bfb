// The probe prediction error: the probe's bottle (x, z) read from rolled-out latents against the
// true state h steps on, with the read from the encoded true latent as its floor.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../agent/backend.ts';
import { disposeNetworks } from '../../agent/model/networks.ts';
import { formatProbePrediction, probePredictionError } from '../../agent/probePrediction.ts';
import { describeValidation } from '../../agent/trainLoop.ts';
import { trainTiny } from './helpers.ts';
import { realEpisodes } from './realData.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-probe-pred-'));

describe('probePredictionError', () => {
  // A 2-D latent the probe reads as (x, z) = (2 z0, z1 - 1), over B = 2 windows with K = 1.
  const probe = { W: Float64Array.from([2, 0, 0, 1]), b: Float64Array.from([0, -1]), outputs: 2 };
  const spec = { columns: [0, 2], labels: ['bottle_x', 'bottle_z'] };
  const labels = ['x', 'y', 'z'];
  // Rows t * B + b: t = 0 (start), t = 1 (one step on).
  const state = Float32Array.from([9, 9, 9, 9, 9, 9, 0.1, 0, 0.2, -0.1, 0, 0]);

  it('is the RMS of the position error of the rolled-out read, with the encoded read as the floor', () => {
    // The encoded latents read exactly the true positions; the rolled-out ones are off by (0.03, 0.04) and (0, 0).
    const encoded = Float32Array.from([0.05, 1.2, -0.05, 1]);
    const predicted = Float32Array.from([0.065, 1.24, -0.05, 1]);
    const [e] = probePredictionError(probe, spec, labels, 2, [{ h: 1, predicted, encoded }], state, 2)!;
    expect(e.h).toBe(1);
    expect(e.floor).toBeCloseTo(0, 6);
    expect(e.rmse).toBeCloseTo(Math.sqrt((0.05 ** 2 + 0) / 2), 6);
    expect(formatProbePrediction([e])).toMatch(/probe pred\. error h1 0\.035 \(floor 0\.000\) m/);
  });

  it('scores only the windows whose frame at t + h shows the bottle', () => {
    const encoded = Float32Array.from([0.05, 1.2, -0.05, 1]);
    const predicted = Float32Array.from([0.065, 1.24, -0.05, 1]);
    const rolled = [{ h: 1, predicted, encoded }];
    // Window 1's true frame (row 3) is dropped: only window 0's error (0.05) is left.
    const [first] = probePredictionError(probe, spec, labels, 2, rolled, state, 2, (_s, o) => o !== 3 * 3)!;
    expect(first.rmse).toBeCloseTo(0.05, 6);
    const [none] = probePredictionError(probe, spec, labels, 2, rolled, state, 2, () => false)!;
    expect(none.rmse).toBeNaN();
  });

  it('is absent when the probe does not read the bottle x and z', () => {
    const other = { columns: [0, 1], labels: ['bottle_x', 'tilt'] };
    expect(probePredictionError(probe, other, labels, 2, [], state, 2)).toBeUndefined();
    expect(formatProbePrediction(undefined)).toBe('');
  });
});

describe('probe prediction error after training', () => {
  beforeAll(async () => { await initBackend('wasm'); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is recorded per horizon for both model kinds, read by a probe that sees the bottle', async () => {
    const data = await realEpisodes(30, 5);
    // Latents of the privileged state carry the bottle's position from the start, so the probe
    // reads the encoded latent well and the error measures the predictor.
    const jepa = await trainTiny(join(dir, 'state'), data, { obs: 'state' }, { steps: 400, evalEvery: 400, valFraction: 0.2 });
    const gen = await trainTiny(join(dir, 'gen'), data, { model: 'generative' }, { steps: 10, evalEvery: 10, valFraction: 0.2 });
    for (const r of [jepa, gen]) disposeNetworks(r.nets);
    const spread = positionSpread(data.episodes.flatMap((e) => positions(e.state, data.spec.stateLabels)));
    const pred = jepa.history[jepa.history.length - 1].val.probePrediction!;
    expect(pred.map((p) => p.h)).toEqual([1, 4, 8]);
    expect(pred[0].floor).toBeLessThan(0.5 * spread);
    expect(pred[0].rmse).toBeLessThan(0.5 * spread);
    // Errors grow with the horizon, and the rolled-out read is no better than the encoded one.
    expect(pred[2].rmse).toBeGreaterThan(pred[0].rmse);
    for (const p of pred) expect(p.rmse).toBeGreaterThanOrEqual(p.floor * 0.9);
    const last = gen.history[gen.history.length - 1];
    expect(last.val.probePrediction?.map((p) => p.h)).toEqual([1, 4, 8]);
    expect(describeValidation(last)).toMatch(/probe pred\. error h1 \d\.\d{3} \(floor \d\.\d{3}\), h4 .*h8 .* m/);
    // In config.json beside the checkpoint, with the rest of the metrics.
    const cfg = JSON.parse(readFileSync(join(dir, 'gen', 'config.json'), 'utf8'));
    expect(cfg.metrics.val.probePrediction).toHaveLength(3);
  });
});

function positions(state: Float32Array, labels: string[]): [number, number][] {
  const S = labels.length, x = labels.indexOf('x'), z = labels.indexOf('z');
  return Array.from({ length: state.length / S }, (_, t) => [state[t * S + x], state[t * S + z]]);
}

/** RMS distance of the positions from their mean. */
function positionSpread(p: [number, number][]): number {
  const mx = p.reduce((s, q) => s + q[0], 0) / p.length, mz = p.reduce((s, q) => s + q[1], 0) / p.length;
  return Math.sqrt(p.reduce((s, q) => s + (q[0] - mx) ** 2 + (q[1] - mz) ** 2, 0) / p.length);
}

// The learned failure head: labels from termination flags and outcomes, it learns (held-out AUC on
// synthetic episodes whose high pushes tip the bottle), the checkpoint keeps it (identical outputs),
// a checkpoint without it still loads and plans without the term, `train --resume` at the step
// already reached refits it, and nothing leaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../agent/backend.ts';
import { loadWorldModel } from '../../agent/checkpoint.ts';
import { balancedAccuracy, FAILURE_INPUTS_CHANGE, FAILURE_INPUTS_LATENT, failureFeatures, failureLabels, rocAuc } from '../../agent/model/failureHead.ts';
import { failureDependsOnGoal } from '../../agent/failureFit.ts';
import { disposeNetworks } from '../../agent/model/networks.ts';
import { modelCost } from '../../agent/planners/energy.ts';
import { flatBounds } from '../../agent/planners/sampling.ts';
import { runTrain, trainDefaults } from '../../agent/train.ts';
import { TRAIN_DEFAULTS } from '../../agent/trainDefaults.ts';
import { actionAffine, normalizeAction } from '../../agent/trainData.ts';
import type { MetricsRecord } from '../../agent/trainLoop.ts';
import { isUserError } from '../../sim/errors.ts';
import type { OutcomeKind } from '../../sim/types.ts';
import { syntheticFailureData } from './failureData.ts';
import { trainTiny } from './helpers.ts';
import { writeRealDataset } from './realData.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-failure-'));
const data = syntheticFailureData(200, 7);
const out = join(dir, 'm');
const hw = 16 * 16;

beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function episode(kind: OutcomeKind, terminated: boolean, truncated: boolean, T = 4) {
  const last = (on: boolean) => Uint8Array.from({ length: T }, (_, i) => (on && i === T - 1 ? 1 : 0));
  return { length: T, terminations: last(terminated), truncations: last(truncated), outcome: { kind, success: kind === 'success', reason: '', distance: 0 } };
}

/** Drop the failure head from a checkpoint folder, as written before it existed. */
function stripFailureHead(ckpt: string): void {
  const cfg = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8'));
  delete cfg.failure;
  delete cfg.weights.failure;
  if (cfg.metrics?.val) delete cfg.metrics.val.failure;
  writeFileSync(join(ckpt, 'config.json'), JSON.stringify(cfg, null, 2));
  rmSync(join(ckpt, 'failure'), { recursive: true, force: true });
}

describe('failure labels and scores', () => {
  it('marks only the last transition of an episode that terminated in a failure or a burst', () => {
    expect(Array.from(failureLabels(episode('failure', true, false)))).toEqual([0, 0, 0, 1]);
    expect(Array.from(failureLabels(episode('burst', true, false)))).toEqual([0, 0, 0, 1]);
    expect(Array.from(failureLabels(episode('success', true, false)))).toEqual([0, 0, 0, 0]);
    expect(Array.from(failureLabels(episode('timeout', false, true)))).toEqual([0, 0, 0, 0]);
    // A failure outcome that was not a termination (truncated) is not a failed transition.
    expect(Array.from(failureLabels(episode('failure', false, true)))).toEqual([0, 0, 0, 0]);
    expect(Array.from(failureLabels(episode('burst', true, false, 1)))).toEqual([1]);
    expect(failureLabels(episode('burst', false, false, 0)).length).toBe(0);
    // A tail (the world going on after the end) gets no labels: they stop at the ending transition.
    const tailed = { length: 6, tail: 2, terminations: Uint8Array.from([0, 0, 0, 1, 0, 0]), truncations: new Uint8Array(6),
      outcome: { kind: 'burst' as const, success: false, reason: '', distance: 0 } };
    expect(Array.from(failureLabels(tailed))).toEqual([0, 0, 0, 1]);
  });

  it('learns only from bursts when the task says its failures depend on the goal (tip)', () => {
    expect(Array.from(failureLabels(episode('failure', true, false), true))).toEqual([0, 0, 0, 0]);
    expect(Array.from(failureLabels(episode('burst', true, false), true))).toEqual([0, 0, 0, 1]);
    expect(failureDependsOnGoal({ ...data.spec, taskId: 'tip', failureDependsOnGoal: undefined })).toBe(true);
    expect(failureDependsOnGoal({ ...data.spec, taskId: 'slide', failureDependsOnGoal: undefined })).toBe(false);
    expect(failureDependsOnGoal({ ...data.spec, taskId: 'slide', failureDependsOnGoal: true })).toBe(true);
    expect(failureDependsOnGoal({ ...data.spec, taskId: 'my-own', failureDependsOnGoal: undefined })).toBe(false);
    // The synthetic data's tipped episodes end as failures, the others as success or timeout.
    const kinds = new Set(data.episodes.map((e) => e.outcome.kind));
    expect([...kinds].sort()).toEqual(['failure', 'success', 'timeout']);
  });

  it('AUC and balanced accuracy', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(balancedAccuracy([0.9, 0.2, 0.1, 0.6], [1, 1, 0, 0])).toBe(0.5);
  });
});

describe('failure head', () => {
  let last: MetricsRecord;

  it('learns on frozen latents: held-out AUC > 0.8, failed transitions score far higher', async () => {
    const before = tf.memory().numTensors;
    const r = await trainTiny(out, data, {}, { steps: 40, evalEvery: 40, valFraction: 0.3 });
    last = r.history[r.history.length - 1];
    const f = last.val.failure!;
    expect(f.fitted).toBe(true);
    expect(f.trainPositives).toBeGreaterThan(50);
    expect(f.valPositives).toBeGreaterThanOrEqual(20);
    expect(f.auc!).toBeGreaterThan(0.8);
    expect(f.meanPPositive!).toBeGreaterThan(3 * f.meanPNegative!);
    // Calibrated to the base rate, not to the balanced fit's 50/50: over the held-out transitions
    // the mean probability is near the share of failed ones (the planner weighs it as a risk).
    const share = f.valPositives / f.valTransitions;
    const meanP = (f.meanPPositive! * f.valPositives + f.meanPNegative! * (f.valTransitions - f.valPositives)) / f.valTransitions;
    expect(meanP).toBeGreaterThan(share / 2);
    expect(meanP).toBeLessThan(share * 2);
    expect(r.nets.failure).toBeDefined();

    // The checkpoint holds it, and the loaded model's failureLogit (raw actions in) reproduces the
    // in-memory head (normalized actions in) exactly.
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.failure).toMatchObject({ hidden: 64 });
    expect(cfg.weights.failure).toMatch(/^[0-9a-f]{64}$/);
    expect(cfg.metrics.val.failure.auc).toBeCloseTo(f.auc!, 10);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[lines.length - 1].val.failure.valPositives).toBe(f.valPositives);
    const m = await loadWorldModel(out);
    expect(m.failureLogit).toBeDefined();
    const ep = data.episodes[0];
    const z = m.encode([0, 1, 2].map((t) => ep.depth.slice(t * hw, (t + 1) * hw)), [0, 1, 2].map((t) => ep.proprio.slice(t * 3, t * 3 + 3)));
    const rawA = [[0.2, -0.1, 0.1], [0, 0, 0.02], [-0.3, 0.3, 0.12]];
    const raw = tf.tensor2d(rawA);
    const aNorm = new Float32Array(9);
    rawA.forEach((a, i) => normalizeAction(a, aNorm, i * 3, actionAffine(r.normalization)));
    const next = m.predict(z, raw);
    const logit = m.failureLogit!(z, raw, next);
    const aNormT = tf.tensor2d(aNorm, [3, 3]);
    // The head reads the latent and the scene part of the predicted change.
    expect(cfg.failure.inputs).toBe(FAILURE_INPUTS_CHANGE);
    const feats = failureFeatures(FAILURE_INPUTS_CHANGE, z, next, m.sceneDims);
    expect(feats.shape).toEqual([3, m.latentDim + m.sceneDims]);
    const ref = r.nets.failure!.apply([feats, aNormT]) as tf.Tensor2D;
    expect(logit.shape).toEqual([3]);
    const got = Array.from(logit.dataSync()), want = Array.from(ref.dataSync());
    // The loaded head folds the change into its first layer: float32 reordering, nothing more.
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-4 * (1 + Math.abs(want[i]))));
    tf.dispose([z, raw, next, feats, aNormT, logit, ref]);
    m.dispose();
    disposeNetworks(r.nets);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('keeps tf.memory flat over repeated cost calls with the head, and changes the energy', async () => {
    const m = await loadWorldModel(out);
    const ep = data.episodes[1];
    const z0 = m.encode([ep.depth.slice(0, hw)], [ep.proprio.slice(0, 3)]);
    const goal = m.encode([ep.depth.slice(hw * 3, hw * 4)], [ep.proprio.slice(0, 3)]);
    const n = 64;
    const candidates = Float32Array.from({ length: n * 5 * 3 }, (_, i) => {
      const k = i % 3;
      return k === 2 ? 0.02 + ((i * 7919) % 100) / 1000 : (((i * 104729) % 600) - 300) / 1000;
    });
    const bounds = flatBounds(m.actionBounds);
    const spec = { model: m, z0, goal, space: 'latent' as const, horizon: 5, bounds };
    const plain = modelCost({ ...spec, options: { distance: 'l1', actionPenalty: 0.01, failureWeight: 0 } })(candidates, n);
    const cost = modelCost({ ...spec, options: { distance: 'l1', actionPenalty: 0.01, failureWeight: 2 } });
    const withTerm = cost(candidates, n);
    const extra = Array.from(withTerm, (e, i) => e - plain[i]);
    // failureWeight * P: in [0, 2], not the same for every candidate.
    for (const x of extra) { expect(x).toBeGreaterThanOrEqual(-1e-6); expect(x).toBeLessThanOrEqual(2 + 1e-6); }
    expect(Math.max(...extra) - Math.min(...extra)).toBeGreaterThan(1e-3);
    // The term is weight x P(fail within the horizon), each step's head reading the rollout's
    // latent, the candidate's action and the rollout's next latent: recomputed by hand here.
    const manual = tf.tidy(() => {
      let zt = tf.tile(z0, [n, 1]) as tf.Tensor2D;
      let logSurvive = tf.zeros([n]);
      for (let t = 0; t < 5; t++) {
        const at = tf.tensor2d(Float32Array.from({ length: n * 3 }, (_, k) => candidates[Math.floor(k / 3) * 15 + t * 3 + (k % 3)]), [n, 3]);
        const next = m.predict(zt, at);
        logSurvive = tf.sub(logSurvive, tf.softplus(m.failureLogit!(zt, at, next)));
        zt = next;
      }
      return tf.mul(tf.sub(1, tf.exp(logSurvive)), 2).dataSync();
    });
    extra.forEach((x, i) => expect(Math.abs(x - manual[i])).toBeLessThan(1e-4));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) cost(candidates, n);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z0, goal]);
    m.dispose();
  });

  it('a checkpoint without the head (older format) loads and plans without the failure term', async () => {
    const old = join(dir, 'old');
    cpSync(out, old, { recursive: true });
    stripFailureHead(old);
    const m = await loadWorldModel(old);
    expect(m.failureLogit).toBeUndefined();
    const ep = data.episodes[1];
    const z0 = m.encode([ep.depth.slice(0, hw)], [ep.proprio.slice(0, 3)]);
    const goal = m.encode([ep.depth.slice(hw * 3, hw * 4)], [ep.proprio.slice(0, 3)]);
    const spec = { model: m, z0, goal, space: 'latent' as const, horizon: 3, bounds: flatBounds(m.actionBounds) };
    const c = Float32Array.from({ length: 2 * 9 }, (_, i) => (i % 3 === 2 ? 0.05 : 0.1));
    const e0 = modelCost({ ...spec, options: { distance: 'l1', actionPenalty: 0, failureWeight: 0 } })(c, 2);
    const e2 = modelCost({ ...spec, options: { distance: 'l1', actionPenalty: 0, failureWeight: 2 } })(c, 2);
    expect(Array.from(e2)).toEqual(Array.from(e0));
    tf.dispose([z0, goal]);
    m.dispose();
  });

  it('a head whose recorded inputs do not match its shape, or are unknown, is a clear error', async () => {
    for (const [inputs, pattern] of [
      [FAILURE_INPUTS_LATENT, /failure head's shapes do not match its inputs \(latent\+normalized action: \d+ values/],
      ['latent+goal', /failure\.inputs is 'latent\+goal'/],
    ] as const) {
      const bad = join(dir, `inputs-${inputs.length}`);
      cpSync(out, bad, { recursive: true });
      const cfg = JSON.parse(readFileSync(join(bad, 'config.json'), 'utf8'));
      cfg.failure.inputs = inputs;
      writeFileSync(join(bad, 'config.json'), JSON.stringify(cfg));
      const e = await loadWorldModel(bad).then(() => undefined, (err: unknown) => err);
      expect(isUserError(e)).toBe(true);
      expect((e as Error).message).toMatch(pattern);
    }
    // A head of the older kind takes the latent as it is.
    const z = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const next = tf.tensor2d([[1.5, 2, 3], [4, 4, 6]]);
    const old = failureFeatures(FAILURE_INPUTS_LATENT, z, next, 2);
    const change = failureFeatures(FAILURE_INPUTS_CHANGE, z, next, 2);
    expect(Array.from(old.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(change.dataSync())).toEqual([1, 2, 3, 0.5, 0, 4, 5, 6, 0, -1]);
    tf.dispose([z, next, old, change]);
  });

  it('train --resume with --steps at the step reached refits the heads of a checkpoint that lacks one', async () => {
    const h5 = join(dir, 'fail.h5');
    await writeRealDataset(h5, syntheticFailureData(60, 9));
    const ck = join(dir, 'resume');
    const logs: string[] = [];
    const opts = {
      ...trainDefaults, data: h5, out: ck, steps: 4, batch: 8, evalEvery: 4, latent: 8, hidden: 32, predictorHidden: 32, k: 2,
      valFraction: 0.3, backend: 'wasm' as const, resume: false, commandLine: 'test', progress: 'none' as const,
    };
    await runTrain(opts, (s) => logs.push(s));
    const valEpisodes = JSON.parse(readFileSync(join(ck, 'config.json'), 'utf8')).data.valEpisodes;
    stripFailureHead(ck);
    expect(existsSync(join(ck, 'failure'))).toBe(false);
    const again = await runTrain({ ...opts, resume: true, seed: 99 }, (s) => logs.push(s));
    expect(logs.join('\n')).toMatch(/no training; validating, refitting the probe, failure and approach heads/);
    const cfg = JSON.parse(readFileSync(join(ck, 'config.json'), 'utf8'));
    expect(cfg.training.step).toBe(4);
    expect(cfg.failure).toBeDefined();
    expect(existsSync(join(ck, 'failure', 'weights.bin'))).toBe(true);
    // The same split as the original run, whatever --seed the resume passed.
    expect(cfg.data.valEpisodes).toEqual(valEpisodes);
    expect(again.last?.val.failure?.fitted).toBe(true);
    // The refit replaces the step-4 record instead of adding a second one, and keeps its loss terms.
    const lines = readFileSync(join(ck, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([4]);
    expect(lines[0].train.loss).toBeGreaterThan(0);
    const m = await loadWorldModel(ck);
    expect(m.failureLogit).toBeDefined();
    m.dispose();
    // The fit's budget (--head-steps, --head-transitions) is honoured and recorded.
    const defaultFit = again.last!.val.failure!;
    expect(cfg.failure.steps).toBe(TRAIN_DEFAULTS.headSteps);
    expect(cfg.failure.transitions).toBe(TRAIN_DEFAULTS.headTransitions);
    expect(defaultFit.trainTransitions).toBeGreaterThan(150);
    const capped = await runTrain({ ...opts, resume: true, headSteps: 7, headTransitions: 150 }, () => {});
    const cappedCfg = JSON.parse(readFileSync(join(ck, 'config.json'), 'utf8'));
    expect(cappedCfg.failure.steps).toBe(7);
    expect(cappedCfg.failure.transitions).toBe(150);
    expect(capped.last!.val.failure!.trainTransitions).toBe(150);
    // Every failure is kept when the negatives are subsampled.
    expect(capped.last!.val.failure!.trainPositives).toBe(defaultFit.trainPositives);
    // Beyond the step reached is still an error.
    const e = await runTrain({ ...opts, resume: true, steps: 3 }, () => {}).then(() => undefined, (err: unknown) => err);
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(/already at step 4, beyond --steps 3/);
  }, 60_000);
});

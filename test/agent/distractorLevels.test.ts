// A model renders at the distractor level it was trained at: plan, bench and serve take the level
// from the checkpoint, and a level that is not the model's is a clear error. The distractor
// benchmark's table, targets and chart.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../agent/backend.ts';
import { runBench } from '../../agent/bench.ts';
import { distractorTable, distractorTargets, successByLevelSvg, type LevelRow } from '../../agent/distractorReport.ts';
import { disposeNetworks } from '../../agent/model/networks.ts';
import { createRig } from '../../agent/plan.ts';
import { serve } from '../../viewer/server/serve.ts';
import { trainTiny } from './helpers.ts';
import { realEpisodes } from './realData.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-distract-'));
const models = join(dir, 'models');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a model and its distractor level', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    const data = await realEpisodes(6, 3, 16);
    // Recorded as if collected at level 2 (the level is a field of the dataset's env spec).
    const busy = { episodes: data.episodes, spec: { ...data.spec, distractors: 2 } };
    disposeNetworks((await trainTiny(join(models, 'slide'), busy, {}, { steps: 2, evalEvery: 2, headSteps: 5 })).nets);
    disposeNetworks((await trainTiny(join(models, 'slide-plain'), data, {}, { steps: 2, evalEvery: 2, headSteps: 5 })).nets);
  }, 60_000);

  it('plan renders at the level the model was trained at, and refuses another', async () => {
    const rig = await createRig({ task: 'slide', planner: 'jepa-cem', model: join(models, 'slide'), backend: 'wasm' });
    try {
      expect(rig.env.spec.distractors).toBe(2);
      rig.env.reset(1);
      expect(rig.env.describe().bodies.some((b) => b.role === 'distractor')).toBe(true);
    } finally {
      rig.dispose();
    }
    const same = await createRig({ task: 'slide', planner: 'jepa-cem', model: join(models, 'slide'), backend: 'wasm', distractors: 2 });
    same.dispose();
    await expect(createRig({ task: 'slide', planner: 'jepa-cem', model: join(models, 'slide'), backend: 'wasm', distractors: 0 }))
      .rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/--distractors 0 does not match model .*slide', trained at distractor level 2/) });
    // Without a model nothing is rendered, so any level goes.
    const oracle = await createRig({ task: 'slide', planner: 'oracle', distractors: 3 });
    oracle.dispose();
  });

  it('serve refuses a --distractors that is not the model\'s before it starts', async () => {
    await expect(serve({ task: 'slide', model: join(models, 'slide'), port: 0, host: '127.0.0.1', seed: 1, ensureBuild: false, distractors: 1, log: () => {} }))
      .rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/--distractors 1 does not match model .* level 2/) });
  });

  it('bench records the models\' level and refuses models of one task trained at different levels', async () => {
    const mixed = join(dir, 'mixed');
    cpSync(join(models, 'slide'), join(mixed, 'slide'), { recursive: true });
    cpSync(join(models, 'slide-plain'), join(mixed, 'slide-generative'), { recursive: true });
    const base = { tasks: ['slide'], models: 'per-task' as const, episodes: 1, seed: 5, quick: false, backend: 'wasm' as const, execute: 1, settings: {}, log: () => {}, workers: 1 };
    await expect(runBench({ ...base, planners: ['jepa-cem', 'generative-cem'], modelsDir: mixed, out: join(dir, 'b1') }))
      .rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/trained at different distractor levels .*slide at level 2.*slide-generative at level 0/) });
    const r = await runBench({ ...base, planners: ['jepa-cem'], modelsDir: models, out: join(dir, 'b2') });
    expect(r.distractors).toEqual({ slide: 2 });
  }, 60_000);
});

describe('the distractor benchmark report', () => {
  const row = (level: number, planner: string, successes: number, x: number): LevelRow => ({
    level, planner, trainSeconds: 60,
    summary: { episodes: 30, successes, successRate: successes / 30, successLow: 0, successHigh: 1, bursts: 1, burstRate: 1 / 30, medianPlanningMs: 30 },
    probeR2: { bottle_x: x, bottle_z: 0.9, tilt: 0.5 },
    probePrediction: [{ h: 1, rmse: 0.01, floor: 0.008 }, { h: 8, rmse: 0.03, floor: 0.009 }],
  });

  it('checks the JEPA targets at the top level against level 0', () => {
    const rows = [row(0, 'jepa-cem', 27, 0.9), row(3, 'jepa-cem', 25, 0.9), row(0, 'generative-cem', 10, 0.5), row(3, 'generative-cem', 2, 0.2)];
    expect(distractorTargets(rows).map((t) => t.ok)).toEqual([true, true]);
    const worse = [row(0, 'jepa-cem', 27, 0.9), row(3, 'jepa-cem', 23, 0.8)];
    const checks = distractorTargets(worse);
    expect(checks.map((t) => t.ok)).toEqual([false, false]);
    expect(checks[0].text).toMatch(/90 % → 77 % \(−13 points\)/);
    expect(checks[1].text).toMatch(/0\.80 \/ 0\.90/);
    // Exactly 10 points down (25/30 to 22/30) is within the target; one more episode lost is not.
    expect(distractorTargets([row(0, 'jepa-cem', 25, 0.9), row(3, 'jepa-cem', 22, 0.9)])[0].ok).toBe(true);
    expect(distractorTargets([row(0, 'jepa-cem', 25, 0.9), row(3, 'jepa-cem', 21, 0.9)])[0].ok).toBe(false);
  });

  it('tabulates every level and planner and draws one line per planner', () => {
    const rows = [row(0, 'jepa-cem', 27, 0.9), row(0, 'generative-cem', 10, 0.5), row(2, 'jepa-cem', 26, 0.88), row(2, 'generative-cem', 4, 0.3)];
    const md = distractorTable(rows);
    expect(md.split('\n')).toHaveLength(2 + 4);
    expect(md).toMatch(/\| 2 \| generative-cem \| 4\/30 = 13 % \|/);
    expect(md).toMatch(/probe pred\. RMSE h1 \(floor\), m \| probe pred\. RMSE h8/);
    expect(md).toMatch(/0\.010 \(0\.008\) \| 0\.030 \(0\.009\)/);
    const svg = successByLevelSvg(rows, 'test');
    // Success and burst lines for each planner, a point per level and planner.
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg.match(/<circle/g)).toHaveLength(4);
    expect(svg).toContain('generative-cem, level 2: 4/30');
  });
});

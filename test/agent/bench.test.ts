// The bench command end to end on the real slide task with the model-free planners: outputs
// written, the same numbers whatever the worker count, missing models caught before any work,
// and the statistics behind the table.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../../agent/bench.ts';
import { modelDirFor } from '../../agent/modelDirs.ts';
import { evalResetSeed, EVAL_SEED_BASE } from '../../agent/plan.ts';
import { failureBreakdown, formatBreakdown, quantile, summarize, wilsonInterval } from '../../agent/report.ts';
import { MpcEpisode, warmUpPlanner, type EpisodeResult } from '../../agent/mpc.ts';
import { createPlanner } from '../../agent/planners/factory.ts';
import { LinearToyModel, PointEnv } from './plannersToy.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = (): void => {};
const base = {
  tasks: ['slide'], planners: ['random' as const], episodes: 6, seed: 5, modelsDir: join(dir, 'none'), quick: false,
  backend: 'cpu' as const, execute: 1, settings: {}, log: quiet,
};

describe('bench', () => {
  it('writes report.json, report.md and success.svg, identical (but for timing) with 1 or 2 workers', async () => {
    const a = await runBench({ ...base, out: join(dir, 'a'), workers: 1 });
    const b = await runBench({ ...base, out: join(dir, 'b'), workers: 2 });
    const strip = (r: typeof a) => r.cells.map((c) => ({
      ...c, summary: { ...c.summary, medianPlanningMs: 0, p95PlanningMs: 0 },
      episodes: c.episodes.map((e) => ({ ...e, planningMs: [], totalMs: 0 })),
    }));
    expect(strip(b)).toEqual(strip(a));
    expect(a.cells[0].episodes.map((e) => e.resetSeed)).toEqual([0, 1, 2, 3, 4, 5].map((i) => EVAL_SEED_BASE + 5 + i));
    expect(b.workers).toBe(2);
    const json = JSON.parse(readFileSync(join(dir, 'a', 'report.json'), 'utf8'));
    expect(json.format).toBe('jepa-mpc-bench');
    expect(json.cells[0].summary.episodes).toBe(6);
    const md = readFileSync(join(dir, 'a', 'report.md'), 'utf8');
    expect(md).toMatch(/\| slide \| random \| \d+% \(\d+%–\d+%\) \d\/6 \|/);
    expect(md).toMatch(/vary between runs/);
    const svg = readFileSync(join(dir, 'a', 'success.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('random');
  });

  it('starts no tfjs backend in its workers when no planner uses a model', async () => {
    // tfjs-node-gpu is optional and does not install without its binaries, so asking for it fails
    // wherever a backend is started (where it does load, this passes either way).
    const r = await runBench({ ...base, backend: 'tensorflow', out: join(dir, 'd'), workers: 2 });
    expect(r.workers).toBe(2);
    expect(r.cells[0].summary.episodes).toBe(6);
  });

  it('refuses to start when a planner needs a model that is not there, naming the directory', async () => {
    await expect(runBench({ ...base, planners: ['random', 'jepa-cem'], out: join(dir, 'c') }))
      .rejects.toThrow(/missing trained models: .*none\/world .*jepa-cem/);
    await expect(runBench({ ...base, models: 'per-task', planners: ['random', 'jepa-cem'], out: join(dir, 'c') }))
      .rejects.toThrow(/missing trained models: .*none\/slide .*jepa-cem/);
    expect(modelDirFor('models', 'tip', 'generative-cem')).toBe(join('models', 'world-generative'));
    expect(modelDirFor('models', 'tip', 'jepa-mppi')).toBe(join('models', 'world'));
    expect(modelDirFor('models', 'tip', 'generative-cem', 'per-task')).toBe(join('models', 'tip-generative'));
    expect(modelDirFor('models', 'tip', 'oracle')).toBeUndefined();
  });

  it('warms a model planner up without changing the episodes that follow, and leaves model-free rigs alone', () => {
    const settings = { samples: 64, elites: 8, iterations: 2, horizon: 5 };
    const actionsOf = (env: PointEnv, model: LinearToyModel, warm: boolean): number[] => {
      const planner = createPlanner('jepa-cem', { env, model, settings });
      if (warm) {
        const before = model.predictCalls;
        warmUpPlanner({ env, planner, model }, 4242);
        expect(model.predictCalls).toBeGreaterThan(before);
      }
      const out: number[] = [];
      for (const seed of [3, 7]) {
        const ep = new MpcEpisode(env, planner, seed, seed);
        while (!ep.done) out.push(...ep.next().action);
      }
      planner.dispose();
      return out;
    };
    const model = new LinearToyModel();
    const cold = actionsOf(new PointEnv(0.01), model, false);
    const warmed = actionsOf(new PointEnv(0.01), model, true);
    expect(cold.length).toBeGreaterThan(6);
    expect(warmed).toEqual(cold);
    model.dispose();

    const env = new PointEnv(0.01);
    let resets = 0;
    const reset = env.reset.bind(env);
    env.reset = (seed: number) => { resets += 1; return reset(seed); };
    warmUpPlanner({ env, planner: createPlanner('random', { env }), model: undefined }, 1);
    expect(resets).toBe(0);
  });

  it('keeps evaluation seeds in their documented range', () => {
    expect(evalResetSeed(1000, 49)).toBe(1_000_001_049);
    expect(() => evalResetSeed(99_999_999, 5)).toThrow(/seed range/);
  });
});

describe('report statistics', () => {
  it('computes Wilson intervals and quantiles', () => {
    const w = wilsonInterval(45, 50);
    expect(w.low).toBeCloseTo(0.7864, 3);
    expect(w.high).toBeCloseTo(0.9565, 3);
    const zero = wilsonInterval(0, 10);
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.2775, 3);
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });

  it('summarizes episodes: rates, mean final distance, planning time over all MPC steps', () => {
    const ep = (success: boolean, burst: boolean, d: number, ms: number[]): EpisodeResult => ({
      resetSeed: 0, outcome: { kind: success ? 'success' : burst ? 'burst' : 'timeout', success, reason: '', distance: d },
      success, burst, finalDistance: d, steps: ms.length, planningMs: ms, totalMs: 0,
    });
    const s = summarize([ep(true, false, 0.01, [10, 20]), ep(false, true, 0.05, [30]), ep(false, false, 0.03, [40, 50])]);
    expect(s.successRate).toBeCloseTo(1 / 3);
    expect(s.burstRate).toBeCloseTo(1 / 3);
    expect(s.meanFinalDistance).toBeCloseTo(0.03);
    expect(s.medianPlanningMs).toBe(30);
    expect(s.meanSteps).toBeCloseTo(5 / 3);
  });

  it('groups how unsuccessful episodes ended by their wording, most common first', () => {
    const ep = (kind: 'success' | 'failure' | 'burst' | 'timeout', reason: string): EpisodeResult => ({
      resetSeed: 0, outcome: { kind, success: kind === 'success', reason, distance: 0.1 },
      success: kind === 'success', burst: kind === 'burst', finalDistance: 0.1, steps: 3, planningMs: [1], totalMs: 0,
    });
    const eps = [
      ep('success', 'bottle within 2.1 cm of the goal, upright'),
      ep('failure', 'bottle fell over (tilt 62 deg)'),
      ep('timeout', 'no success within 40 steps'),
      ep('failure', 'bottle fell over (tilt 48 deg)'),
      ep('burst', 'bottle burst: contact force 32.0 N > threshold 25 N'),
      ep('failure', 'bottle left the table at (0.31, -0.02)'),
      ep('failure', 'bottle fell over (tilt 70 deg)'),
      ep('timeout', 'no success within 40 steps'),
    ];
    expect(failureBreakdown(eps)).toEqual([
      { reason: 'bottle fell over', count: 3 },
      { reason: 'no success within 40 steps', count: 2 },
      { reason: 'bottle burst', count: 1 },
      { reason: 'bottle left the table', count: 1 },
    ]);
    expect(formatBreakdown(eps)).toBe('3 bottle fell over, 2 no success within 40 steps, 1 bottle burst, 1 bottle left the table');
    expect(formatBreakdown([eps[0]])).toBe('');
    // A reason-less ending still counts, under its kind.
    expect(failureBreakdown([ep('timeout', '')])).toEqual([{ reason: 'timeout', count: 1 }]);
  });
});

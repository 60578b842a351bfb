// The README's "Add a task" example, examples/box.ts, through collect -> train -> plan with the
// library functions the CLI calls, the task given as a path as `--task examples/box.ts` gives it.
// A new object (a box), no planner defaults: the task file alone must be enough.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlanCommand } from '../../agent/plan.ts';
import { runTrain, trainDefaults } from '../../agent/train.ts';
import type { MetricsRecord } from '../../agent/trainLoop.ts';
import { collect } from '../../sim/collect.ts';
import { openDataset } from '../../sim/datasetReader.ts';
import { loadTask } from '../../sim/tasks/registry.ts';

const TASK = 'examples/box.ts';
const dir = mkdtempSync(join(tmpdir(), 'jepa-box-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/box.ts, a task file of a new object', () => {
  it('loads as a valid task with no planner defaults', async () => {
    const task = await loadTask(TASK);
    expect(task.id).toBe('box');
    expect(task.plannerDefaults).toBeUndefined();
    expect(task.oracleDefaults).toBeUndefined();
  });

  it('goes through collect, train and plan', async () => {
    const data = join(dir, 'box.h5');
    const r = await collect({ task: TASK, episodes: 24, seed: 1, out: data, obsSize: 16, workers: 1, progress: 'none', log: () => {} });
    expect(r.kept).toBe(24);

    // The box's own state is what the file records, and the exploration moved it.
    const ds = await openDataset(data);
    try {
      expect(ds.info.taskId).toBe('box');
      const labels = ds.info.envSpec.stateLabels;
      expect(labels).toEqual(['x', 'y', 'z', 'qx', 'qy', 'qz', 'qw', 'vx', 'vy', 'vz', 'tilt']);
      const moved = Array.from({ length: ds.numEpisodes }, (_, i) => {
        const { state } = ds.readEpisode(i);
        const S = labels.length;
        const last = state.length - S;
        return Math.hypot(state[last] - state[0], state[last + 2] - state[2]);
      });
      expect(Math.max(...moved)).toBeGreaterThan(0.02);
    } finally {
      ds.close();
    }

    const out = join(dir, 'model');
    await runTrain({
      ...trainDefaults, data, out, steps: 60, batch: 16, latent: 8, hidden: 32, predictorHidden: 32, k: 2, evalEvery: 20,
      lr: 3e-3, headSteps: 20, backend: 'wasm', resume: false, commandLine: 'test', progress: 'none',
    }, () => {});
    const history = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRecord);
    expect(history.map((h) => h.step)).toEqual([20, 40, 60]);
    const loss = (h: MetricsRecord): number => Object.values(h.train)[0];
    expect(loss(history[2])).toBeLessThan(loss(history[0]));

    const report = await runPlanCommand({
      task: TASK, planner: 'jepa-cem', model: out, episodes: 1, seed: 0, backend: 'wasm',
      settings: { samples: 32, elites: 4, iterations: 1, horizon: 4 },
    }, () => {});
    expect(report.task).toBe('box');
    expect(report.settingsFromTask).toEqual([]);
    const [episode] = report.episodes;
    expect(episode.steps).toBeGreaterThan(0);
    expect(episode.planningMs).toHaveLength(episode.steps);
    // The distance is the task's own, read from the box's pose: a finite, positive number of metres.
    expect(Number.isFinite(episode.finalDistance)).toBe(true);
    expect(episode.finalDistance).toBeGreaterThan(0);
  }, 60_000);
});

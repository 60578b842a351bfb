// End to end on the real task: episodes from the physics sim, a small JEPA trained on them inside
// the test, then latent MPC (jepa-cem) on held-out evaluation seeds of `slide`, side by side with
// uniform random actions on the same seeds. The model plans toward the goal image only; it must
// move bottles toward their goals and finish more episodes than random does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../agent/backend.ts';
import { loadWorldModel } from '../../agent/checkpoint.ts';
import { runEpisodeSync } from '../../agent/mpc.ts';
import { disposeNetworks } from '../../agent/model/networks.ts';
import { evalPlannerSeed, evalResetSeed } from '../../agent/plan.ts';
import { createPlanner } from '../../agent/planners/factory.ts';
import { summarize } from '../../agent/report.ts';
import { Env } from '../../sim/env.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import { trainTiny } from './helpers.ts';
import { realEpisodes } from './realData.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-plan-slide-'));

beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jepa-cem on slide with a model trained in the test', () => {
  it('beats random actions on held-out goals', async () => {
    const data = await realEpisodes(400, 5, 16);
    const out = join(dir, 'slide');
    const r = await trainTiny(out, data, { latent: 16, hidden: 128, predictorHidden: 64, k: 4 }, { steps: 800, batch: 64, evalEvery: 800, lr: 2e-3 });
    disposeNetworks(r.nets);
    const model = await loadWorldModel(out);
    const env = await Env.create({ task: builtinTasks.slide, obsSize: model.obsSize.width, showsPusher: model.showsPusher });
    try {
      const settings = { samples: 150, elites: 15, iterations: 3 };
      const jepa = createPlanner('jepa-cem', { env, model, settings });
      const random = createPlanner('random', { env });
      const seeds = Array.from({ length: 20 }, (_, i) => i);
      const run = (p: typeof jepa) => seeds.map((i) => runEpisodeSync(env, p, evalResetSeed(7, i), evalPlannerSeed(7, i)));
      const planned = summarize(run(jepa));
      const baseline = summarize(run(random));
      console.log(`slide, 20 held-out goals: jepa-cem ${planned.successes} successes, mean final distance ${planned.meanFinalDistance.toFixed(3)} m; random ${baseline.successes}, ${baseline.meanFinalDistance.toFixed(3)} m`);
      expect(planned.successes).toBeGreaterThan(baseline.successes);
      // Random pushes leave bottles about where they started; the planner moves them goalward.
      expect(planned.meanFinalDistance).toBeLessThan(baseline.meanFinalDistance - 0.015);
    } finally {
      env.free();
      model.dispose();
    }
  }, 600_000);
});

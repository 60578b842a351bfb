// The programmatic API, imported by the package's name as a user's script would (through
// package.json "exports"): the shipped world model plans a slide episode as `jepa-mpc plan` does.
import { describe, expect, it } from 'vitest';
import { createPlanner, evalPlannerSeed, evalResetSeed, loadTask, loadWorldModel, makeEnv, runEpisodeSync, UserError } from 'jepa-mpc';
import { runPlanCommand } from '../../agent/plan.ts';

describe("import { makeEnv, loadWorldModel, createPlanner } from 'jepa-mpc'", () => {
  it('plans one episode with models/world exactly as the plan command does', async () => {
    const model = await loadWorldModel('models/world', { backend: 'wasm' });
    const task = await loadTask('slide');
    const env = await makeEnv({ task, model });
    const settings = { samples: 64, iterations: 1 };
    const planner = createPlanner('jepa-cem', { env, model, task, settings });
    const r = runEpisodeSync(env, planner, evalResetSeed(3, 0), evalPlannerSeed(3, 0));
    env.free();
    model.dispose();
    expect(r.steps).toBeGreaterThan(0);
    expect(r.planningMs).toHaveLength(r.steps);
    expect(Number.isFinite(r.finalDistance)).toBe(true);
    // The same episode through the CLI's library path gives the same outcome.
    const cli = await runPlanCommand({ task: 'slide', planner: 'jepa-cem', model: 'models/world', episodes: 1, seed: 3, backend: 'wasm', settings, json: true }, () => {});
    expect(cli.episodes[0].steps).toBe(r.steps);
    expect(cli.episodes[0].finalDistance).toBeCloseTo(r.finalDistance, 6);
  }, 120_000);

  it('refuses a model directory that is not there with a UserError', async () => {
    await expect(loadWorldModel('models/no-such-model', { backend: 'wasm' })).rejects.toBeInstanceOf(UserError);
  });
});

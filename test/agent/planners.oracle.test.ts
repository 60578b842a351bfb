// The oracle (CEM over the real simulator) on the real slide task: it solves evaluation episodes
// that random actions do not, which is the proof that the task is solvable by a short-horizon
// planner, and it leaves the live episode exactly where it was after planning.
import { describe, expect, it } from 'vitest';
import { createRig, evalPlannerSeed, evalResetSeed } from '../../agent/plan.ts';
import { runEpisodeSync } from '../../agent/mpc.ts';

// Evaluation episodes 3 and 5 of seed 0 (the bench's scheme); their goals lie 6-15 cm away.
const EPISODES = [3, 5];

describe('oracle on slide', () => {
  it('pushes the bottle to the goal where random actions fail', async () => {
    const oracle = await createRig({ task: 'slide', planner: 'oracle' });
    const random = await createRig({ task: 'slide', planner: 'random' });
    try {
      for (const i of EPISODES) {
        const r = runEpisodeSync(oracle.env, oracle.planner, evalResetSeed(0, i), evalPlannerSeed(0, i));
        expect(r.success, `episode ${i}: ${r.outcome.reason}`).toBe(true);
        expect(r.finalDistance).toBeLessThan(0.03);
        expect(r.burst).toBe(false);
        const b = runEpisodeSync(random.env, random.planner, evalResetSeed(0, i), evalPlannerSeed(0, i));
        expect(b.success).toBe(false);
      }
    } finally {
      oracle.dispose();
      random.dispose();
    }
  });

  it('restores the live episode after planning', async () => {
    const rig = await createRig({ task: 'slide', planner: 'oracle', settings: { samples: 8, elites: 2, iterations: 1 } });
    try {
      rig.env.reset(evalResetSeed(0, 1));
      rig.planner.begin(rig.env.goalObservation(), 1);
      const before = rig.env.observe();
      const steps = rig.env.stepCount;
      rig.planner.plan(before);
      const after = rig.env.observe();
      expect(rig.env.stepCount).toBe(steps);
      expect(Array.from(after.state)).toEqual(Array.from(before.state));
      expect(Array.from(after.proprio)).toEqual(Array.from(before.proprio));
      expect(rig.env.outcome().kind).toBe('running');
    } finally {
      rig.dispose();
    }
  });
});

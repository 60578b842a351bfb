// The posed end states bench:subgoal ranks: the goal's own pose must render exactly the task's
// goal image, the subgoal must stand where the task's tip has to start, and rendering leaves both
// environments' goals as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPoses, slideThenTipPoses, standsAt } from '../../agent/bench/subgoalPoses.ts';
import { Env } from '../../sim/env.ts';
import { BOTTLE_STATE_INDEX, BOTTLE_STATE_LABELS, STANDARD_BOTTLE, angleDiff } from '../../sim/tasks/bottle.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import { slideThenTipSpot } from '../../sim/tasks/slideThenTip.ts';

let lying: Env;
let standing: Env;
beforeAll(async () => {
  lying = await Env.create({ task: builtinTasks['slide-then-tip'], obsSize: 16 });
  standing = await Env.create({ task: builtinTasks.slide, obsSize: 16 });
});
afterAll(() => {
  lying.free();
  standing.free();
});

describe('slide-then-tip posed end states', () => {
  it('puts the subgoal on the spot the tip starts from and turns the wrong tips away from the heading', () => {
    const goal = Float32Array.from([0.1, 0.05, 0, 1]);
    const poses = slideThenTipPoses([-0.02, 0.01], goal);
    const [gx, gz] = slideThenTipSpot(goal);
    expect(gx).toBeCloseTo(0.1, 6);
    expect(gz).toBeCloseTo(0.05 - STANDARD_BOTTLE.tipReach, 6);
    const sub = poses.find((p) => p.subgoal)!;
    expect(poses.filter((p) => p.subgoal)).toHaveLength(1);
    expect([sub.kind, sub.x, sub.z]).toEqual(['standing', gx, gz]);
    expect(poses[0]).toMatchObject({ kind: 'lying', x: gx, z: gz, onTheWay: true });
    for (const p of poses.filter((q) => !q.onTheWay)) {
      expect(p.kind).toBe('lying');
      // Every fallen pose lies elsewhere or points elsewhere than the goal's.
      const elsewhere = Math.hypot(p.x - gx, p.z - gz) > 0.05 || angleDiff(p.heading, Math.PI / 2) > 1;
      expect(elsewhere, p.name).toBe(true);
    }
  });

  it('renders the goal pose as the task renders its goal, the others differently, and restores both goals', () => {
    const obs = lying.reset(1_000_000_123);
    standing.reset(1_000_000_123);
    const goalBefore = lying.goal();
    const standingGoalBefore = standing.goal();
    const poses = slideThenTipPoses([obs.state[BOTTLE_STATE_INDEX.x], obs.state[BOTTLE_STATE_INDEX.z]], goalBefore);
    let images = renderPoses(poses, lying, standing);
    expect(lying.goal()).toEqual(goalBefore);
    expect(standing.goal()).toEqual(standingGoalBefore);
    // Some starts put a pose off the table; look for one whose poses all fit.
    for (let seed = 1_000_000_124; !images; seed++) {
      const o = lying.reset(seed);
      standing.reset(seed);
      images = renderPoses(slideThenTipPoses([o.state[BOTTLE_STATE_INDEX.x], o.state[BOTTLE_STATE_INDEX.z]], lying.goal()), lying, standing);
    }
    expect(Array.from(images[0])).toEqual(Array.from(lying.goalObservation().depth));
    for (let j = 1; j < images.length; j++) expect(Array.from(images[j]), poses[j].name).not.toEqual(Array.from(images[0]));
  });

  it('gives no images when a pose does not fit the workspace, and keeps the goal', () => {
    lying.reset(1_000_000_321);
    standing.reset(1_000_000_321);
    const goal = lying.goal();
    const far = slideThenTipPoses([0.29, 0.29], Float32Array.from([0.2, 0.2, 1, 0]));
    expect(renderPoses(far, lying, standing)).toBeUndefined();
    expect(lying.goal()).toEqual(goal);
  });

  it('judges a bottle standing on the spot by distance and lean', () => {
    const s = new Float32Array(BOTTLE_STATE_LABELS.length);
    s[BOTTLE_STATE_INDEX.x] = 0.1;
    s[BOTTLE_STATE_INDEX.z] = 0.01;
    expect(standsAt(s, 0.1, 0, 0.015, 0.2)).toBe(true);
    expect(standsAt(s, 0.1, 0.03, 0.015, 0.2)).toBe(false);
    s[BOTTLE_STATE_INDEX.tilt] = 0.3;
    expect(standsAt(s, 0.1, 0, 0.015, 0.2)).toBe(false);
  });
});

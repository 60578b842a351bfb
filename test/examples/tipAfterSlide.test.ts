// examples/tipAfterSlide.ts, slide-then-tip's second half alone: loaded as a path, as
// `--tasks examples/tipAfterSlide.ts` loads it, and its starts compared with tip's.
import { describe, expect, it } from 'vitest';
import { Env } from '../../sim/env.ts';
import { loadTask } from '../../sim/tasks/registry.ts';
import { BOTTLE_STATE_INDEX as I, DEG, STANDARD_BOTTLE, angleDiff } from '../../sim/tasks/bottle.ts';
import tip from '../../sim/tasks/tip.ts';
import tipAnySide from '../../examples/tipAnySide.ts';
import type { TaskDefinition } from '../../sim/task.ts';

interface Start { bottle: [number, number]; lying: [number, number]; off: number; dist: number; pusher: number[] }

/** Per reset: where the bottle stands and where it would lie, and the pusher's side (deg from tip's) and distance (m) from the axis. */
async function starts(task: TaskDefinition, n: number): Promise<Start[]> {
  const env = await Env.create({ task, renderDepth: false });
  try {
    return Array.from({ length: n }, (_, i) => {
      const obs = env.reset(200 + i);
      const [hx, hz] = env.goal();
      const [bx, bz] = [obs.state[I.x], obs.state[I.z]];
      const [px, pz] = [obs.proprio[0], obs.proprio[2]];
      const reach = STANDARD_BOTTLE.tipReach;
      return {
        bottle: [bx, bz], lying: [bx + reach * hx, bz + reach * hz],
        off: angleDiff(Math.atan2(pz - bz, px - bx), Math.atan2(-hz, -hx)) / DEG,
        dist: Math.hypot(px - bx, pz - bz), pusher: Array.from(obs.proprio),
      };
    });
  } finally {
    env.free();
  }
}

describe('examples/tipAfterSlide.ts', () => {
  it("loads as tip with its own id and step budget, tip's goal and success, and tipAnySide's planner defaults", async () => {
    const task = await loadTask('examples/tipAfterSlide.ts');
    expect(task.id).toBe('tip-after-slide');
    expect(task.maxSteps).toBe(50);
    expect(task.goalLabels).toEqual(tip.goalLabels);
    expect(task.evaluate).toBe(tip.evaluate);
    expect(task.plannerDefaults).toEqual(tipAnySide.plannerDefaults);
  });

  it('stands the bottle all over the table, with the pusher touching it on any side at a sliding height', async () => {
    const task = await loadTask('examples/tipAfterSlide.ts');
    const after = await starts(task, 60);
    const own = await starts(tip, 60);
    for (const s of after) {
      expect(Math.max(Math.abs(s.bottle[0]), Math.abs(s.bottle[1]))).toBeLessThanOrEqual(0.17);
      expect(Math.max(Math.abs(s.lying[0]), Math.abs(s.lying[1]))).toBeLessThanOrEqual(0.2 + 1e-6);
      // Touching: the bottle's radius, the pusher's, and half a centimetre between them.
      expect(s.dist).toBeGreaterThan(0.045);
      expect(s.dist).toBeLessThan(0.055);
      expect(s.pusher[1]).toBeGreaterThanOrEqual(0.015);
      expect(s.pusher[1]).toBeLessThanOrEqual(0.045);
    }
    // tip keeps its bottle within 5 cm of the centre; here about half the starts are beyond 10 cm.
    const far = (ss: Start[]) => ss.filter((s) => Math.max(Math.abs(s.bottle[0]), Math.abs(s.bottle[1])) > 0.1).length;
    expect(far(own)).toBe(0);
    expect(far(after)).toBeGreaterThan(15);
    expect(after.filter((s) => s.off > 120).length).toBeGreaterThan(10);
    expect(after.filter((s) => s.off < 60).length).toBeGreaterThan(10);
    // The same reset seed gives the same start.
    const again = await starts(task, 5);
    expect(again.map((s) => s.pusher)).toEqual(after.slice(0, 5).map((s) => s.pusher));
  });
});

// examples/tipAfterSlide.ts, slide-then-tip's second half alone: loaded as a path, as
// `--tasks examples/tipAfterSlide.ts` loads it, and its starts compared with tip's.
import { describe, expect, it } from 'vitest';
import { loadTask } from '../../sim/tasks/registry.ts';
import tip from '../../sim/tasks/tip.ts';
import type { TaskDefinition } from '../../sim/task.ts';
import tipAnySide from '../../examples/tipAnySide.ts';
import { tipStarts, type TipStart } from './tipStarts.ts';

const starts = (task: TaskDefinition, n: number) => tipStarts(task, n, 200);

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
    const far = (ss: TipStart[]) => ss.filter((s) => Math.max(Math.abs(s.bottle[0]), Math.abs(s.bottle[1])) > 0.1).length;
    expect(far(own)).toBe(0);
    expect(far(after)).toBeGreaterThan(15);
    expect(after.filter((s) => s.off > 120).length).toBeGreaterThan(10);
    expect(after.filter((s) => s.off < 60).length).toBeGreaterThan(10);
    // The same reset seed gives the same start.
    const again = await starts(task, 5);
    expect(again.map((s) => s.pusher)).toEqual(after.slice(0, 5).map((s) => s.pusher));
  });
});

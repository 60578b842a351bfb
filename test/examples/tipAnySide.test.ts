// examples/tipAnySide.ts, tip with the pusher starting on any side: loaded as a path, as
// `--tasks examples/tipAnySide.ts` loads it, and its starts compared with tip's.
import { describe, expect, it } from 'vitest';
import { loadTask } from '../../sim/tasks/registry.ts';
import tip from '../../sim/tasks/tip.ts';
import type { TaskDefinition } from '../../sim/task.ts';
import { tipStarts } from './tipStarts.ts';

const starts = (task: TaskDefinition, n: number) => tipStarts(task, n, 100);

describe('examples/tipAnySide.ts', () => {
  it('loads as tip with its own id, tip\'s goal and success, and tip\'s planner defaults with the approach and keypoint terms', async () => {
    const task = await loadTask('examples/tipAnySide.ts');
    expect(task.id).toBe('tip-any-side');
    expect(task.goalLabels).toEqual(tip.goalLabels);
    expect(task.maxSteps).toBe(tip.maxSteps);
    expect(task.evaluate).toBe(tip.evaluate);
    expect(task.plannerDefaults).toEqual({ ...tip.plannerDefaults, approachWeight: 1, keypointWeight: 1 });
  });

  it('starts the pusher 6-8 cm from the bottle on every side, where tip starts it opposite the heading', async () => {
    const task = await loadTask('examples/tipAnySide.ts');
    const any = await starts(task, 60);
    const own = await starts(tip, 60);
    for (const s of [...any, ...own]) {
      expect(s.dist).toBeGreaterThan(0.055);
      expect(s.dist).toBeLessThan(0.085);
    }
    expect(Math.max(...own.map((s) => s.off))).toBeLessThan(26);
    // Uniform over the circle: about a third of the starts are over 120 deg from tip's side.
    expect(any.filter((s) => s.off > 120).length).toBeGreaterThan(10);
    expect(any.filter((s) => s.off < 60).length).toBeGreaterThan(10);
    // The same reset seed gives the same start.
    const again = await starts(task, 5);
    expect(again.map((s) => s.pusher)).toEqual(any.slice(0, 5).map((s) => s.pusher));
  });
});

// The runner in a worker thread: same answers as in-process, errors cross the thread boundary
// with their kind (a UserError stays a UserError), and planning does not block this thread.
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../sim/errors.ts';
import { WorkerRunner } from '../../viewer/server/workerRunner.ts';

describe('WorkerRunner', () => {
  it('resets, steps, rejects a bad goal with a UserError, and keeps this event loop free while planning', async () => {
    const logs: string[] = [];
    const r = await WorkerRunner.create({ task: 'slide', planner: 'oracle' }, {}, (l) => logs.push(l));
    try {
      expect(r.concurrent).toBe(true);
      expect(r.controlDt).toBeCloseTo(0.1);
      await r.reset(5);
      expect(r.describe().bodies.some((b) => b.role === 'object')).toBe(true);
      expect(r.goalPoses()).toHaveLength(1);
      expect(r.agentDepth().length).toBe(r.depthSize().width * r.depthSize().height);
      const pusherBefore = r.pusherPosition();

      // The oracle plans for a while; timers here must keep firing meanwhile.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const started = performance.now();
      const step = await r.advance();
      const elapsed = performance.now() - started;
      clearInterval(timer);
      expect(step.step).toBe(1);
      expect(step.plan).not.toBeNull();
      expect(step.plan!.elites.length).toBeGreaterThan(1);
      // Blocked, this thread would tick at most once; free, close to elapsed / 5 (allow a loaded machine).
      expect(ticks).toBeGreaterThan(Math.max(3, elapsed / 5 / 10));
      expect(step.action).toHaveLength(3);
      expect(r.pusherPosition()).toHaveLength(pusherBefore.length);

      const err = await r.setGoal(9, 9).catch((e: unknown) => e);
      expect(isUserError(err)).toBe(true);
      expect((err as Error).message).toMatch(/slide goal/);
      await r.setGoal(0.02, 0.03);
      expect(r.goalPoint()![0]).toBeCloseTo(0.02, 5);
    } finally {
      await r.dispose();
    }
  });

  it('reports a bad task from the worker as a UserError', async () => {
    const err = await WorkerRunner.create({ task: 'no-such-task', planner: 'random' }, {}, () => {}).catch((e: unknown) => e);
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toMatch(/unknown task 'no-such-task'/);
  });
});

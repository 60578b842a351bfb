import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Env } from '../../sim/env.ts';
import { isUserError } from '../../sim/errors.ts';
import { validateTask } from '../../sim/task.ts';
import { builtinTasks, loadTask } from '../../sim/tasks/registry.ts';

const fixtures = 'test/fixtures/tasks';
const scratch = mkdtempSync(join(tmpdir(), 'jepa-tasks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The UserError a promise rejects with (fails the test if it resolves or throws another error). */
async function userErrorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isUserError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a UserError, but the call succeeded');
}

describe('task loading', () => {
  it('finds the built-in tasks by id', async () => {
    expect(Object.keys(builtinTasks).sort()).toEqual(['fragile', 'slide', 'tip']);
    for (const id of ['slide', 'tip', 'fragile']) {
      const t = await loadTask(id);
      expect(t.id).toBe(id);
      expect(validateTask(t, id)).toBe(t);
    }
    expect(builtinTasks.fragile.burstThreshold).toBeLessThan(builtinTasks.slide.burstThreshold);
  });

  it('loads a user task file relative to the working directory and runs it', async () => {
    const t = await loadTask(`./${fixtures}/farSlide.ts`);
    expect(t.id).toBe('far-slide');
    expect(t.maxSteps).toBe(50);
    const env = await Env.create({ task: t, renderDepth: false });
    try {
      env.reset(1);
      const r = env.step([0.05, 0, 0.03]);
      expect(r.observation.state.length).toBe(t.stateLabels.length);
      expect(env.spec.taskId).toBe('far-slide');
    } finally {
      env.free();
    }
  });

  it('rejects an unknown id, listing the built-ins', async () => {
    const msg = await userErrorOf(loadTask('slid'));
    expect(msg).toMatch(/unknown task 'slid'/);
    expect(msg).toMatch(/slide, tip, fragile/);
  });

  it('rejects a missing file, naming it', async () => {
    expect(await userErrorOf(loadTask('./nope/missing-task.ts'))).toMatch(/task file not found: .*missing-task\.ts/);
  });

  it('rejects a file without a default export', async () => {
    expect(await userErrorOf(loadTask(`./${fixtures}/noDefault.ts`))).toMatch(/noDefault\.ts has no default export/);
  });

  it('names every missing or invalid member', async () => {
    const msg = await userErrorOf(loadTask(`./${fixtures}/missingMembers.ts`));
    expect(msg).toMatch(/missingMembers\.ts/);
    expect(msg).toMatch(/evaluate \(function\)/);
    expect(msg).toMatch(/maxSteps/);
    expect(msg).toMatch(/burstThreshold/);
    expect(msg).not.toMatch(/build|randomize|stateLabels/);
  });

  it('reports a file with a syntax error as a user error naming the file', async () => {
    const file = join(scratch, 'broken.ts');
    writeFileSync(file, 'export default { id: "x", \n');
    const msg = await userErrorOf(loadTask(file));
    expect(msg).toMatch(/broken\.ts could not be loaded/);
    expect(msg).toMatch(/broken\.ts:\d+:\d+/);
  });

  it('validateTask rejects non-objects and bad bounds', () => {
    expect(() => validateTask(42, 'x.ts')).toThrow(/not an object/);
    const bad = { ...builtinTasks.slide, actionBounds: { low: [0, 0, 0.2], high: [1, 1, 0.1] } };
    expect(() => validateTask(bad, 'x.ts')).toThrow(/actionBounds \(low must be <= high/);
  });
});

describe('built-in task definitions', () => {
  it('tip: success needs the top pointing at the goal heading', async () => {
    const env = await Env.create({ task: builtinTasks.tip, renderDepth: false });
    try {
      env.reset(9);
      const g = env.goal();
      expect(Math.hypot(g[0], g[1])).toBeCloseTo(1, 5);
      // The goal image shows the bottle lying: its state says tilt 90 deg toward the heading.
      const goalObs = env.goalObservation();
      const tilt = goalObs.state[env.spec.stateLabels.indexOf('tilt')];
      expect(tilt).toBeCloseTo(Math.PI / 2, 3);
      const ax = goalObs.state[env.spec.stateLabels.indexOf('axis_x')];
      const az = goalObs.state[env.spec.stateLabels.indexOf('axis_z')];
      expect(ax).toBeCloseTo(g[0], 3);
      expect(az).toBeCloseTo(g[1], 3);
      expect(() => env.setGoal(Float32Array.from([0, 0]))).toThrow(/no direction/);
    } finally {
      env.free();
    }
  });
});

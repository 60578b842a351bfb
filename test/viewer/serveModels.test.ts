// Which model each runner loads: `serve` without --model gives every built-in task its own
// models/<task> (when trained), so switching task in the page switches model too.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { modelDirForTask } from '../../viewer/server/serve.ts';

describe('serve: model per task', () => {
  const trained = new Set([join('models', 'slide'), join('models', 'tip')]);
  const has = (dir: string) => trained.has(dir);

  it('picks models/<task> for built-in tasks that have one, else the model chosen at start', () => {
    expect(modelDirForTask('tip', undefined, join('models', 'slide'), has)).toBe(join('models', 'tip'));
    expect(modelDirForTask('slide', undefined, join('models', 'slide'), has)).toBe(join('models', 'slide'));
    expect(modelDirForTask('fragile', undefined, join('models', 'slide'), has)).toBe(join('models', 'slide'));
    expect(modelDirForTask('tip', undefined, undefined, () => false)).toBeUndefined();
  });

  it('keeps an explicit --model for every task, and the start model for task files', () => {
    expect(modelDirForTask('tip', 'my/model', 'my/model', has)).toBe('my/model');
    expect(modelDirForTask('./own-task.ts', undefined, join('models', 'slide'), has)).toBe(join('models', 'slide'));
  });

  it('finds the shipped models on disk', () => {
    expect(modelDirForTask('tip', undefined, join('models', 'slide'))).toBe(join('models', 'tip'));
  });
});

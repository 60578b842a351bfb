// Where plan, bench and serve look for models: one world model for every task by default.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { defaultModelFor, modelDirFor } from '../../agent/modelDirs.ts';

describe('model locations', () => {
  it('gives every task the world model, and the per-task layout on request', () => {
    for (const task of ['slide', 'tip', 'fragile', 'slide-far']) {
      expect(modelDirFor('models', task, 'jepa-cem')).toBe(join('models', 'world'));
      expect(modelDirFor('models', task, 'generative-cem')).toBe(join('models', 'world-generative'));
      expect(modelDirFor('m', task, 'jepa-mppi', 'per-task')).toBe(join('m', task));
    }
    expect(modelDirFor('models', 'slide', 'random')).toBeUndefined();
  });

  it('defaults to a trained world model only when it is there', () => {
    const trained = new Set([join('models', 'world')]);
    expect(defaultModelFor('jepa-cem', 'models', (d) => trained.has(d))).toBe(join('models', 'world'));
    expect(defaultModelFor('generative-cem', 'models', (d) => trained.has(d))).toBeUndefined();
    expect(defaultModelFor('oracle', 'models', () => true)).toBeUndefined();
  });
});

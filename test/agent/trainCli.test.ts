// `jepa-mpc train` end to end through the real CLI: bad input is a short error without a stack;
// a tiny run on an HDF5 dataset leaves a complete checkpoint; --resume continues it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainDefaults, withTaskTrainDefaults } from '../../agent/train.ts';
import { realEpisodes, writeRealDataset } from './realData.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-traincli-'));
const data = join(dir, 'tiny.h5');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli.ts', ...args], { cwd: process.cwd(), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => { await writeRealDataset(data, await realEpisodes(6, 5, 16)); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jepa-mpc train (CLI)', () => {
  it('reports a missing dataset clearly, without a stack trace', () => {
    const missing = cli('train', '--data', join(dir, 'nope.h5'), '--out', join(dir, 'm0'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error: dataset '.*nope\.h5' does not exist/m);
    expect(missing.err).toMatch(/fix: /);
    expect(missing.err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'm0', 'config.json'))).toBe(false);
  });

  it('refuses --keypoints combinations the encoder cannot serve, before loading anything', () => {
    for (const [flags, pattern] of [
      [['--keypoints', '8', '--latent', '16'], /--keypoints 8 takes 16 of the 16 learned latent dims/],
      [['--keypoints', '2', '--frames', '2'], /--keypoints 2 is for the JEPA's one-frame depth encoder/],
      [['--keypoints', '2', '--model', 'generative'], /--keypoints 2 is for the JEPA's one-frame depth encoder/],
    ] as const) {
      const r = cli('train', '--data', data, '--out', join(dir, 'mk'), ...flags);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(pattern);
      expect(r.err).toMatch(/fix: /);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'mk', 'config.json'))).toBe(false);
    }
  });

  it('fills in a task\'s trainDefaults where no flag is given, says so, and refuses a task file of another task', () => {
    const out = join(dir, 'mt');
    const fixture = join('test', 'fixtures', 'tasks', 'slideTrainDefaults.ts');
    const common = ['--data', data, '--batch', '8', '--eval-every', '3', '--steps', '3', '--latent', '16', '--backend', 'wasm', '--task', fixture];
    const r = cli('train', ...common, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/task slide sets --keypoints 2 --head-steps 7 \(its trainDefaults; a flag overrides each\)/);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.model.encoder.keypoints).toBe(2);
    expect(cfg.failure.steps).toBe(7);
    // A flag wins over the task's default.
    const flagged = cli('train', ...common, '--out', join(dir, 'mt2'), '--keypoints', '0');
    expect(flagged.code, flagged.err).toBe(0);
    expect(flagged.err).toMatch(/task slide sets --head-steps 7 \(/);
    expect(JSON.parse(readFileSync(join(dir, 'mt2', 'config.json'), 'utf8')).model.encoder.keypoints).toBeUndefined();
    const other = cli('train', ...common, '--out', join(dir, 'mt3'), '--task', join('test', 'fixtures', 'tasks', 'farSlide.ts'));
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/is task 'far-slide', but the data holds episodes of 'slide'/);
    expect(other.err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'mt3', 'config.json'))).toBe(false);
  });

  it('gives a task\'s keypoints only to models that can have them', () => {
    const task = { keypoints: 4, headSteps: 3000 };
    const base = { ...trainDefaults, data: 'd.h5', out: 'o', backend: 'wasm' as const, resume: false, commandLine: '' };
    expect(withTaskTrainDefaults(base, task).fromTask).toEqual(['keypoints', 'headSteps']);
    expect(withTaskTrainDefaults(base, task).opts.keypoints).toBe(4);
    for (const other of [{ model: 'generative' as const }, { frames: 2 }, { obs: 'state' as const }, { latent: 8 }, { resume: true }]) {
      const r = withTaskTrainDefaults({ ...base, ...other }, task);
      expect(r.opts.keypoints).toBe(0);
      expect(r.fromTask).toEqual(['headSteps']);
    }
    expect(withTaskTrainDefaults({ ...base, explicit: ['headSteps'], headSteps: 50 }, task).opts.headSteps).toBe(50);
    expect(withTaskTrainDefaults(base, undefined)).toEqual({ opts: base, fromTask: [] });
  });

  it('trains, writes a checkpoint with metrics and chart, and resumes', () => {
    const out = join(dir, 'm1');
    const common = ['--data', data, '--out', out, '--batch', '8', '--eval-every', '3', '--latent', '16', '--backend', 'wasm'];
    const first = cli('train', ...common, '--steps', '6');
    expect(first.code, first.err).toBe(0);
    expect(first.err).toMatch(/backend: wasm/);
    expect(first.err).toMatch(/step 6: pred\/copy 1-step/);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.training.step).toBe(6);
    expect(cfg.model.encoder.latentDim).toBe(19);
    expect(cfg.model.encoder.bodyDim).toBe(3);
    expect(cfg.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(cfg.commandLine).toContain('--steps 6');
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(readFileSync(join(out, 'training.svg'), 'utf8')).toMatch(/^<svg/);
    const again = cli('train', ...common, '--steps', '9', '--resume');
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/resuming from step 6/);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([3, 6, 9]);
  });
});

// One model from several datasets: datasets of one world merge (a task list, bursts-only failure
// labels, a split per dataset), datasets of different worlds are refused by name, and the CLI trains
// on a comma list, records every source and resumes only on the same list; --approach-data adds
// datasets to the approach head's fit alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../sim/errors.ts';
import type { EnvSpec } from '../../sim/types.ts';
import { splitEpisodes } from '../../agent/trainData.ts';
import { TRAIN_DEFAULTS } from '../../agent/trainDefaults.ts';
import { combinedSha256, dataPaths, datasetHasher, loadTrainingData, mergeSpecs, splitSources } from '../../agent/trainSources.ts';
import { openDataset } from '../../sim/datasetReader.ts';
import type { DatasetInfo } from '../../sim/dataset.ts';
import type { EpisodeData } from '../../sim/types.ts';
import { realEpisodes, writeRealDataset } from './realData.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-sources-'));
const slidePath = join(dir, 'slide.h5');
const tipPath = join(dir, 'tip.h5');
const smallPath = join(dir, 'slide8.h5');
let slideSpec: EnvSpec;
let slideData: Awaited<ReturnType<typeof realEpisodes>>;
let tipSpec: EnvSpec;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli.ts', ...args], { cwd: process.cwd(), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function thrown(fn: () => unknown): Error {
  try { fn(); } catch (e) { return e as Error; }
  throw new Error('expected a throw');
}

beforeAll(async () => {
  const slide = await realEpisodes(6, 11, 16, 'slide');
  slideData = slide;
  const tip = await realEpisodes(5, 12, 16, 'tip');
  slideSpec = slide.spec;
  tipSpec = tip.spec;
  await writeRealDataset(slidePath, slide);
  await writeRealDataset(tipPath, tip);
  await writeRealDataset(smallPath, await realEpisodes(4, 13, 8, 'slide'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the dataset hash', () => {
  it('is of the episodes and attributes, not the file: the same episodes written again match, any changed value does not', async () => {
    const again = join(dir, 'slide-again.h5');
    await writeRealDataset(again, slideData);
    const [a, b] = [await loadTrainingData([slidePath]), await loadTrainingData([again])];
    expect(b.sha256).toBe(a.sha256);
    expect(a.sources[0].sha256).toBe(a.sha256);
    const ds = await openDataset(slidePath);
    const info = ds.info;
    ds.close();
    const hash = (i: DatasetInfo, eps: EpisodeData[]) => {
      const h = datasetHasher(i);
      for (const e of eps) h.add(e);
      return h.digest();
    };
    expect(hash(info, a.episodes)).toBe(a.sha256);
    // created_by is the command line that wrote the file (its --out path too): provenance only.
    expect(hash({ ...info, createdBy: 'jepa-mpc collect --out elsewhere.h5' }, a.episodes)).toBe(a.sha256);
    const nudged = a.episodes.map((e, i) => (i === 2 ? { ...e, depth: Float32Array.from(e.depth, (v, j) => (j === 5 ? v + 1e-3 : v)) } : e));
    expect(hash(info, nudged)).not.toBe(a.sha256);
    expect(hash({ ...info, collectSeed: info.collectSeed + 1 }, a.episodes)).not.toBe(a.sha256);
    expect(hash(info, a.episodes.slice(1))).not.toBe(a.sha256);
  });
});

describe('merging datasets of one world', () => {
  it('lists the tasks, keeps the longest episode limit and learns failures from bursts alone', () => {
    const merged = mergeSpecs([{ path: 'a', spec: slideSpec }, { path: 'b', spec: tipSpec }]);
    expect(merged.taskIds).toEqual(['slide', 'tip']);
    expect(merged.taskId).toBe('slide+tip');
    expect(merged.maxSteps).toBe(Math.max(slideSpec.maxSteps, tipSpec.maxSteps));
    expect(merged.failureDependsOnGoal).toBe(true);
    expect(merged.camera).toEqual(slideSpec.camera);
    // One dataset, or several of one task: the spec is the task's own.
    expect(mergeSpecs([{ path: 'a', spec: slideSpec }])).toBe(slideSpec);
    expect(mergeSpecs([{ path: 'a', spec: slideSpec }, { path: 'c', spec: slideSpec }]).taskIds).toBeUndefined();
  });

  it('refuses datasets of different worlds, naming both files and the member', () => {
    const cases: [Partial<EnvSpec>, RegExp][] = [
      [{ obsSize: { width: 8, height: 8 } }, /their obsSize differ/],
      [{ camera: { ...slideSpec.camera, showsPusher: true } }, /their camera differ/],
      [{ actionBounds: { low: [-0.1, -0.1, 0.015], high: [0.1, 0.1, 0.26] } }, /their actionBounds differ/],
      [{ stateLabels: ['x', 'z'] }, /their stateLabels differ/],
    ];
    for (const [change, pattern] of cases) {
      const e = thrown(() => mergeSpecs([{ path: 'a.h5', spec: slideSpec }, { path: 'b.h5', spec: { ...tipSpec, ...change } }]));
      expect(isUserError(e)).toBe(true);
      expect(e.message).toMatch(/datasets 'a\.h5' and 'b\.h5' come from different worlds/);
      expect(e.message).toMatch(pattern);
    }
  });

  it('holds out episodes of every dataset, as one dataset alone would', () => {
    const s = splitSources([40, 20], 0.1, 3);
    const alone = splitEpisodes(40, 0.1, 3);
    expect(s.val.filter((i) => i < 40)).toEqual(alone.val);
    expect(s.val.filter((i) => i >= 40)).toEqual(splitEpisodes(20, 0.1, 3).val.map((i) => i + 40));
    expect([...s.train, ...s.val].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(splitSources([40], 0.1, 3)).toEqual(alone);
  });

  it('parses --data lists and hashes several datasets as one', () => {
    expect(dataPaths('a.h5, b.h5,')).toEqual(['a.h5', 'b.h5']);
    expect(dataPaths(['a.h5'])).toEqual(['a.h5']);
    expect(thrown(() => dataPaths('a.h5,a.h5')).message).toMatch(/lists 'a\.h5' twice/);
    expect(thrown(() => dataPaths('data/a.h5,./data/a.h5')).message).toMatch(/lists '\.\/data\/a\.h5' twice/);
    expect(thrown(() => dataPaths(' , ')).message).toMatch(/names no dataset/);
    expect(combinedSha256(['x'])).toBe('x');
    expect(combinedSha256(['x', 'y'])).not.toBe(combinedSha256(['y', 'x']));
  });
});

describe('jepa-mpc train --data a.h5,b.h5', () => {
  const common = ['--batch', '8', '--eval-every', '3', '--latent', '16', '--backend', 'wasm', '--head-steps', '5'];

  it('trains one model on both tasks, records each source, and resumes only on the same list', () => {
    const out = join(dir, 'world');
    const r = cli('train', '--data', `${slidePath},${tipPath}`, '--out', out, '--steps', '3', ...common);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/data: 6 episodes of task slide/);
    expect(r.err).toMatch(/data: 5 episodes of task tip/);
    expect(r.err).toMatch(/data: 11 episodes, \d+ steps of tasks slide, tip/);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.envSpec.taskIds).toEqual(['slide', 'tip']);
    expect(cfg.data.sources.map((s: { taskId: string; episodes: number }) => [s.taskId, s.episodes])).toEqual([['slide', 6], ['tip', 5]]);
    expect(cfg.data.episodes).toBe(11);
    // Every dataset has held-out episodes.
    expect(cfg.data.valEpisodes.some((i: number) => i < 6)).toBe(true);
    expect(cfg.data.valEpisodes.some((i: number) => i >= 6)).toBe(true);
    const swapped = cli('train', '--data', `${tipPath},${slidePath}`, '--out', out, '--steps', '6', '--resume', ...common);
    expect(swapped.code).toBe(2);
    expect(swapped.err).toMatch(/trained on different data/);
    expect(swapped.err).not.toMatch(/\n\s+at /);
    const again = cli('train', '--data', `${slidePath},${tipPath}`, '--out', out, '--steps', '6', '--resume', ...common);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).training.step).toBe(6);
  });

  it('fits the approach head on --approach-data too, without training the model on it', () => {
    const pairs = (out: string) => {
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
      return JSON.parse(lines[lines.length - 1]).val.approach.trainPairs as number;
    };
    const alone = join(dir, 'slide-only');
    const r0 = cli('train', '--data', slidePath, '--out', alone, '--steps', '3', ...common);
    expect(r0.code, r0.err).toBe(0);
    const out = join(dir, 'slide-approach-tip');
    const r = cli('train', '--data', slidePath, '--approach-data', tipPath, '--out', out, '--steps', '3', ...common);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/approach data: 5 episodes of task tip .*for the approach head only/);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.data.episodes).toBe(6);
    expect(cfg.envSpec.taskId).toBe('slide');
    expect(cfg.approach.alsoFittedOn.map((s: { taskId: string; episodes: number }) => [s.taskId, s.episodes])).toEqual([['tip', 5]]);
    expect(JSON.parse(readFileSync(join(alone, 'config.json'), 'utf8')).approach.alsoFittedOn).toBeUndefined();
    // The tip episodes' pairs join the slide episodes': the same model, seed and split otherwise.
    expect(pairs(out)).toBeGreaterThan(pairs(alone));
    const dup = cli('train', '--data', slidePath, '--approach-data', slidePath, '--out', join(dir, 'dup'), '--steps', '3', ...common);
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(/is in both --data and --approach-data/);
    const respelled = cli('train', '--data', slidePath, '--approach-data', `${dir}/./slide.h5`, '--out', join(dir, 'dup2'), '--steps', '3', ...common);
    expect(respelled.code).toBe(2);
    expect(respelled.err).toMatch(/is in both --data and --approach-data/);
    const other = cli('train', '--data', slidePath, '--approach-data', smallPath, '--out', join(dir, 'other'), '--steps', '3', ...common);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/come from different worlds: their obsSize differ/);
    expect(other.err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'other', 'config.json'))).toBe(false);
  });

  it('on --resume keeps the checkpoint\'s approach data and their held-out split, whatever --seed', async () => {
    const tipCopy = join(dir, 'tip-copy.h5');
    copyFileSync(tipPath, tipCopy);
    const out = join(dir, 'resume-approach');
    const approach = () => JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).approach;
    const r = cli('train', '--data', slidePath, '--approach-data', tipCopy, '--out', out, '--steps', '3', '--seed', '5', ...common);
    expect(r.code, r.err).toBe(0);
    const first = approach();
    expect(first.alsoFittedSplit.train.length + first.alsoFittedSplit.val.length).toBe(5);
    // Seed 6 alone would hold out another episode, so keeping the split is the resume's doing.
    expect(splitSources([5], TRAIN_DEFAULTS.valFraction, 6)).not.toEqual(first.alsoFittedSplit);
    // No --approach-data and another --seed: the same files, and the same held-out episodes.
    const again = cli('train', '--data', slidePath, '--out', out, '--steps', '3', '--resume', '--seed', '6', ...common);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/approach data: the checkpoint's/);
    expect(approach().alsoFittedOn.map((s: { sha256: string }) => s.sha256)).toEqual(first.alsoFittedOn.map((s: { sha256: string }) => s.sha256));
    expect(approach().alsoFittedSplit).toEqual(first.alsoFittedSplit);
    // A changed file is refused rather than fitted on silently; a missing one names itself.
    await writeRealDataset(tipCopy, await realEpisodes(5, 19, 16, 'tip'));
    const changed = cli('train', '--data', slidePath, '--out', out, '--steps', '3', '--resume', ...common);
    expect(changed.code).toBe(2);
    expect(changed.err).toMatch(/changed since its head was fitted on them/);
    expect(changed.err).not.toMatch(/\n\s+at /);
    expect(approach().alsoFittedSplit).toEqual(first.alsoFittedSplit);
    rmSync(tipCopy);
    const missing = cli('train', '--data', slidePath, '--out', out, '--steps', '3', '--resume', ...common);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/fitted on '.*tip-copy\.h5' as well, and that file does not exist here/);
    // none: the head is refitted on --data alone and the checkpoint no longer lists the file.
    const dropped = cli('train', '--data', slidePath, '--approach-data', 'none', '--out', out, '--steps', '3', '--resume', ...common);
    expect(dropped.code, dropped.err).toBe(0);
    expect(approach().alsoFittedOn).toBeUndefined();
    expect(approach().alsoFittedSplit).toBeUndefined();
  });

  it('refuses a dataset of another world before training, and a missing one before reading any', () => {
    const mixed = cli('train', '--data', `${slidePath},${smallPath}`, '--out', join(dir, 'mixed'), '--steps', '3', ...common);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/come from different worlds: their obsSize differ/);
    expect(mixed.err).toMatch(/fix: /);
    expect(existsSync(join(dir, 'mixed', 'config.json'))).toBe(false);
    const missing = cli('train', '--data', `${slidePath},${join(dir, 'nope.h5')}`, '--out', join(dir, 'm2'), '--steps', '3', ...common);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/dataset '.*nope\.h5' does not exist/);
    expect(missing.err).not.toMatch(/data: /);
  });
});

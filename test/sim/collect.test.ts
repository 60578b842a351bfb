import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect } from '../../sim/collect.ts';
import { openDataset, type EpisodeDataset } from '../../sim/datasetReader.ts';
import { Env } from '../../sim/env.ts';
import { trainingSeed } from '../../sim/rng.ts';
import { rollout } from '../../sim/rollout.ts';
import { loadTask } from '../../sim/tasks/registry.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = mkdtempSync(join(tmpdir(), 'jepa-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string }

/** Run the CLI as a user would; `onStderr` may signal the child once it has printed something. */
function cli(args: string[], opts: { direct?: boolean; onStderr?: (text: string, pid: number) => void } = {}): Promise<Run> {
  // SIGINT goes straight to node here: the tsx CLI wrapper force-kills a child that does not
  // acknowledge a relayed signal within 30 ms, which a loaded machine cannot promise.
  const [cmd, argv] = opts.direct ? [process.execPath, ['--import', 'tsx', 'cli.ts', ...args]] : [TSX, ['cli.ts', ...args]];
  return new Promise((done) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child.pid!);
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function allEpisodes(ds: EpisodeDataset): unknown[] {
  return Array.from({ length: ds.numEpisodes }, (_, i) => ds.readEpisode(i));
}

describe('collect', () => {
  it('--distractors records the level and changes only the depth images of the same episodes', async () => {
    const r = await collect({ task: 'slide', episodes: 2, seed: 5, obsSize: 16, progress: 'none', workers: 1, out: join(dir, 'd2.h5'), distractors: 2 });
    expect(r.info?.distractors).toBe(2);
    expect(r.info?.createdBy).toMatch(/--distractors 2 /);
    const busy = await openDataset(join(dir, 'd2.h5'));
    const plain = await Env.create({ task: await loadTask('slide'), obsSize: 16 });
    try {
      expect(busy.info.envSpec.distractors).toBe(2);
      for (let i = 0; i < 2; i++) {
        const [a, b] = [rollout(plain, trainingSeed(5, i)).episode, busy.readEpisode(i)];
        expect(b.state).toEqual(a.state);
        expect(b.actions).toEqual(a.actions);
        expect(b.outcome).toEqual(a.outcome);
        expect(b.depth).not.toEqual(a.depth);
      }
    } finally {
      busy.close();
      plain.free();
    }
  });

  it('writes the same episodes for the same seed, with 1 or 2 workers, as a rollout in-process', async () => {
    const base = { task: 'slide', episodes: 3, seed: 5, obsSize: 8, progress: 'none' as const };
    const a = await collect({ ...base, out: join(dir, 'w1.h5'), workers: 1 });
    const b = await collect({ ...base, out: join(dir, 'w2.h5'), workers: 2 });
    expect(a.kept).toBe(3);
    expect(b.workers).toBe(2);
    const [da, db] = [await openDataset(join(dir, 'w1.h5')), await openDataset(join(dir, 'w2.h5'))];
    try {
      expect(da.info.episodeSeeds).toEqual([0, 1, 2].map((i) => trainingSeed(5, i)));
      expect(da.info.obsSize).toEqual({ width: 8, height: 8 });
      expect(da.info.createdBy).toBe(db.info.createdBy.replace('w2.h5', 'w1.h5'));
      const eps = allEpisodes(da);
      expect(allEpisodes(db)).toEqual(eps);
      const env = await Env.create({ task: await loadTask('slide'), obsSize: 8 });
      expect(rollout(env, trainingSeed(5, 2)).episode).toEqual(eps[2]);
      env.free();
    } finally {
      da.close();
      db.close();
    }
  });

  it('rejects bad input with a message and no stack, leaving an existing --out untouched', async () => {
    const existing = join(dir, 'existing.h5');
    writeFileSync(existing, 'keep me');
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const [task, episodes, unwritable] = await Promise.all([
      cli(['collect', '--task', 'nope', '--episodes', '2', '--out', existing]),
      cli(['collect', '--episodes', 'abc', '--out', existing]),
      cli(['collect', '--episodes', '2', '--out', join(blocker, 'x.h5')]),
    ]);
    for (const r of [task, episodes, unwritable]) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).not.toContain('    at ');
    }
    expect(task.stderr).toMatch(/unknown task 'nope'.*slide/);
    expect(task.stderr).toMatch(/fix:/);
    expect(episodes.stderr).toMatch(/--episodes.*'abc' is invalid.*whole number/);
    expect(unwritable.stderr).toMatch(/cannot write dataset .*x\.h5/);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('a worker failing mid-run leaves the existing file and no temp file behind', async () => {
    const taskFile = join(dir, 'breaks-on-third-reset.mts');
    writeFileSync(taskFile, [
      `import { makeSlideTask } from ${JSON.stringify(join(ROOT, 'sim/tasks/slide.ts'))};`,
      `const base = makeSlideTask({ id: 'breaks', description: 'fails on its third reset', burstThreshold: 25, maxSteps: 3 });`,
      'let resets = 0;',
      `export default { ...base, randomize(scene, rng) { if (++resets === 3) throw new Error('simulated bug'); base.randomize(scene, rng); } };`,
    ].join('\n'));
    const out = join(dir, 'kept.h5');
    writeFileSync(out, 'previous dataset');
    await expect(collect({ task: taskFile, episodes: 6, seed: 1, obsSize: 8, out, workers: 1, progress: 'none' }))
      .rejects.toThrow(/collect worker failed \(episode 2, seed \d+\): simulated bug/);
    expect(readFileSync(out, 'utf8')).toBe('previous dataset');
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('on SIGINT keeps the completed episodes in a valid file and exits 130', async () => {
    const out = join(dir, 'interrupted.h5');
    let sent = false;
    const r = await cli(['collect', '--task', 'slide', '--episodes', '400', '--seed', '3', '--obs-size', '8', '--workers', '1', '--out', out], {
      direct: true,
      onStderr: (text, pid) => {
        if (!sent && /collect: 1\/400/.test(text)) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted: kept episodes 0\.\.\d+/);
    expect(r.stdout).toMatch(/behaviour mix: slid \d+% \(\d+\), tipped .*no-contact/);
    expect(r.stderr).not.toContain('    at ');
    expect(existsSync(out)).toBe(true);
    const ds = await openDataset(out);
    try {
      expect(ds.numEpisodes).toBeGreaterThanOrEqual(1);
      expect(ds.numEpisodes).toBeLessThan(400);
      expect(ds.info.episodeIndices).toEqual([...Array(ds.numEpisodes).keys()]);
      expect(ds.info.episodeSeeds).toEqual(ds.info.episodeIndices.map((i) => trainingSeed(3, i)));
      expect(ds.readEpisode(ds.numEpisodes - 1).length).toBeGreaterThan(0);
    } finally {
      ds.close();
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });
});

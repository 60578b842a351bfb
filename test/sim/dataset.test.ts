import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetWriter, type DatasetHeader } from '../../sim/dataset.ts';
import { loadHdf5 } from '../../sim/hdf5.ts';
import { openDataset } from '../../sim/datasetReader.ts';
import { Rng } from '../../sim/rng.ts';
import type { EnvSpec, EpisodeData } from '../../sim/types.ts';

const W = 4;
const H = 3;
const SPEC: EnvSpec = {
  taskId: 'synthetic', obsSize: { width: W, height: H },
  camera: { width: W, height: H, position: [0, 1, 1], target: [0, 0, 0], fovDeg: 50, near: 0.1, far: 2 },
  actionBounds: { low: [-0.3, -0.3, 0.01], high: [0.3, 0.3, 0.25] }, maxSteps: 20, controlDt: 0.1, substeps: 6,
  stateLabels: ['x', 'y', 'z', 'tilt', 'burst'], proprioDim: 3,
};
const HEADER: DatasetHeader = {
  taskId: 'synthetic', envSpec: SPEC, collectSeed: 7, createdBy: 'dataset.test.ts',
  taskConfig: { actionBounds: SPEC.actionBounds, maxSteps: 20, burstThreshold: null, stateLabels: SPEC.stateLabels, controlDt: 0.1, substeps: 6 },
};

/** Episode whose every value encodes (seed, array, position), so misaligned reads are caught. */
function synthetic(seed: number, T: number): EpisodeData {
  const rng = new Rng(seed);
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
  const S = SPEC.stateLabels.length;
  const terminations = new Uint8Array(T);
  const truncations = new Uint8Array(T);
  truncations[T - 1] = 1;
  return {
    seed, length: T, depth: fill((T + 1) * W * H), proprio: fill((T + 1) * 3), actions: fill(T * 3),
    state: fill((T + 1) * S), terminations, truncations, goal: fill(2),
    outcome: { kind: 'timeout', success: false, reason: `timeout after ${T} steps`, distance: rng.next() },
    behaviour: seed % 2 === 0 ? 'slid' : 'tipped',
  };
}

async function writeFile(path: string, eps: EpisodeData[]): Promise<void> {
  const w = await DatasetWriter.create(path, HEADER);
  eps.forEach((ep, i) => w.append(ep, i));
  w.finish();
}

const dir = mkdtempSync(join(tmpdir(), 'jepa-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('episode dataset', () => {
  const eps = [synthetic(11, 6), synthetic(12, 3), synthetic(13, 9)];
  const file = join(dir, 'rt.h5');

  it('round-trips episodes exactly, with file attributes', async () => {
    await writeFile(file, eps);
    const ds = await openDataset(file);
    try {
      expect(ds.numEpisodes).toBe(3);
      expect(ds.info.totalSteps).toBe(18);
      expect(ds.info.episodeSeeds).toEqual([11, 12, 13]);
      expect(ds.info.envSpec).toEqual(SPEC);
      expect(ds.info.behaviourCounts).toMatchObject({ slid: 1, tipped: 2 });
      for (let i = 0; i < eps.length; i++) {
        expect(ds.episodeLength(i)).toBe(eps[i].length);
        expect(ds.readEpisode(i)).toEqual(eps[i]);
      }
    } finally {
      ds.close();
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('keeps the tail of an episode that went on after it ended, and refuses a tail that follows no termination', async () => {
    const ep = synthetic(21, 7);
    ep.truncations.fill(0);
    ep.terminations[3] = 1;
    ep.tail = 3;
    const tailed = join(dir, 'tail.h5');
    await writeFile(tailed, [ep]);
    const ds = await openDataset(tailed);
    try {
      expect(ds.readEpisode(0)).toEqual(ep);
    } finally {
      ds.close();
    }
    const wrong = { ...synthetic(22, 7), tail: 2 };
    await expect(writeFile(join(dir, 'badtail.h5'), [wrong])).rejects.toThrow(/tail 2 must follow a termination/);
  });

  it('windows are aligned slices that never cross episodes', async () => {
    const ds = await openDataset(file);
    try {
      const k = 3;
      const wins = [...ds.windows(k)];
      // episode lengths 6, 3, 9 -> 4 + 1 + 7 windows of 3 actions
      expect(wins.map((w) => w.episode)).toEqual([0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2]);
      const S = SPEC.stateLabels.length;
      for (const w of wins) {
        const ep = eps[w.episode];
        expect(w.start + k).toBeLessThanOrEqual(ep.length);
        expect(w.actions).toEqual(ep.actions.slice(w.start * 3, (w.start + k) * 3));
        expect(w.depth).toEqual(ep.depth.slice(w.start * W * H, (w.start + k + 1) * W * H));
        expect(w.proprio).toEqual(ep.proprio.slice(w.start * 3, (w.start + k + 1) * 3));
        expect(w.state).toEqual(ep.state.slice(w.start * S, (w.start + k + 1) * S));
      }
      const shuffled = ds.windowRefs(k, { shuffle: true, seed: 3 });
      expect(shuffled).toEqual(ds.windowRefs(k, { shuffle: true, seed: 3 }));
      expect(shuffled).not.toEqual(ds.windowRefs(k));
      expect([...shuffled].sort((a, b) => a.episode - b.episode || a.start - b.start)).toEqual(ds.windowRefs(k));
      expect(ds.windowRefs(2, { stride: 2, episodes: [2] }).map((r) => r.start)).toEqual([0, 2, 4, 6]);
      expect(ds.windowRefs(10)).toEqual([]);
    } finally {
      ds.close();
    }
  });

  it('rejects random bytes, truncated files and a wrong version with a clear UserError', async () => {
    const rng = new Rng(5);
    const junk = join(dir, 'junk.h5');
    writeFileSync(junk, Uint8Array.from({ length: 4096 }, () => rng.int(0, 256)));
    await expect(openDataset(junk)).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/junk\.h5.*not an HDF5 file/) });

    const cut = join(dir, 'cut.h5');
    const bytes = readFileSync(file);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(openDataset(cut)).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/cut\.h5.*truncated/) });

    const old = join(dir, 'v99.h5');
    await writeFile(old, eps.slice(0, 1));
    const h5 = await loadHdf5();
    const g = new h5.File(old, 'a');
    g.delete_attribute('format_version');
    g.create_attribute('format_version', 99, null, '<i');
    g.close();
    await expect(openDataset(old)).rejects.toMatchObject({
      name: 'UserError', message: expect.stringMatching(/v99\.h5.*format version 99.*reads versions 1 and 2/), hint: expect.stringMatching(/collect/),
    });
    await expect(openDataset(join(dir, 'absent.h5'))).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/does not exist/) });
  });

  it('catches a flipped byte inside the image data by the episode checksum', async () => {
    const marked = synthetic(21, 4);
    marked.depth[7] = 12345.678;
    const path = join(dir, 'flipped.h5');
    await writeFile(path, [marked]);
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from(new Float32Array([12345.678]).buffer));
    expect(at).toBeGreaterThan(0);
    bytes[at + 1] ^= 0x10;
    writeFileSync(path, bytes);
    const ds = await openDataset(path);
    try {
      expect(() => ds.readEpisode(0)).toThrow(/flipped\.h5.*'episode_000000' fails its checksum.*corrupt/);
    } finally {
      ds.close();
    }
  });

  it('names a missing episode dataset and a shape mismatch', async () => {
    const h5 = await loadHdf5();
    /** A second, hand-made episode group (h5wasm cannot delete datasets, so damage is built in). */
    const addEpisode = async (name: string, omit: string, stateShape: number[]): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, eps.slice(0, 1));
      const f = new h5.File(path, 'a');
      const g = f.create_group(omit === 'group' ? 'episode_000009' : 'episode_000001');
      g.create_group('observations');
      const T = 2;
      const sets: [string, number[], string][] = [
        ['observations/depth', [T + 1, H, W], '<f'], ['observations/proprio', [T + 1, 3], '<f'], ['actions', [T, 3], '<f'],
        ['state', stateShape, '<f'], ['terminations', [T], '<B'], ['truncations', [T], '<B'], ['goal', [2], '<f'],
      ];
      for (const [n, shape, dtype] of sets) {
        if (n === omit) continue;
        const size = shape.reduce((a, b) => a * b, 1);
        g.create_dataset({ name: n, data: dtype === '<B' ? new Uint8Array(size) : new Float32Array(size), shape, dtype });
      }
      g.create_attribute('length', T, null, '<I');
      for (const [a, v] of [['total_episodes', 2], ['episode_seeds', [11, 12]], ['episode_indices', [0, 1]]] as const) {
        f.delete_attribute(a);
        if (typeof v === 'number') f.create_attribute(a, v, null, '<i');
        else f.create_attribute(a, new Uint32Array(v), [2], '<I');
      }
      f.close();
      return path;
    };
    const noGroup = await addEpisode('no-group.h5', 'group', [3, 5]);
    await expect(openDataset(noGroup)).rejects.toMatchObject({ message: expect.stringMatching(/episode group 'episode_000001' is missing/) });
    const missing = await addEpisode('missing.h5', 'actions', [3, 5]);
    await expect(openDataset(missing)).rejects.toMatchObject({ message: expect.stringMatching(/episode_000001\/actions' is missing/) });
    const shape = await addEpisode('shape.h5', '', [3, 4]);
    await expect(openDataset(shape)).rejects.toMatchObject({ message: expect.stringMatching(/episode_000001\/state' has shape \[3, 4\], expected \[3, 5\]/) });
    const fine = await openDataset(await addEpisode('fine.h5', '', [3, 5]));
    expect(fine.numEpisodes).toBe(2);
    fine.close();
  });

  it('records the distractor level (root attribute and env_spec), reads a file without it as level 0, and refuses a disagreeing one', async () => {
    const h5 = await loadHdf5();
    const busy = join(dir, 'busy.h5');
    const w = await DatasetWriter.create(busy, { ...HEADER, envSpec: { ...SPEC, distractors: 2 } });
    w.append(eps[0], 0);
    expect(w.finish().distractors).toBe(2);
    let ds = await openDataset(busy);
    expect(ds.info.distractors).toBe(2);
    expect(ds.info.envSpec.distractors).toBe(2);
    ds.close();
    const f = new h5.File(busy, 'a');
    expect(Number(f.get_attribute('distractors', false))).toBe(2);
    f.delete_attribute('distractors');
    f.close();
    ds = await openDataset(busy);
    expect(ds.info.distractors).toBe(2);
    ds.close();
    // A file from before the option: no root attribute, no env_spec field.
    const old = join(dir, 'before.h5');
    await writeFile(old, eps.slice(0, 1));
    const g = new h5.File(old, 'a');
    g.delete_attribute('distractors');
    g.close();
    ds = await openDataset(old);
    expect(ds.info.distractors).toBe(0);
    ds.close();
    const clash = new h5.File(busy, 'a');
    clash.create_attribute('distractors', 3, null, '<i');
    clash.close();
    await expect(openDataset(busy)).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/busy\.h5.*'distractors' \(3\) disagrees with env_spec.distractors \(2\)/) });
  });

  it('abort leaves an existing target untouched and no temp file', async () => {
    const target = join(dir, 'keep.h5');
    await writeFile(target, [eps[1]]);
    const before = readFileSync(target);
    const w = await DatasetWriter.create(target, HEADER);
    w.append(eps[0], 0);
    expect(existsSync(w.tempPath)).toBe(true);
    w.abort();
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(existsSync(w.tempPath)).toBe(false);
  });

  it('creates missing folders of the target, so a fresh clone can collect into data/', async () => {
    const target = join(dir, 'fresh', 'data', 'new.h5');
    expect(existsSync(join(dir, 'fresh'))).toBe(false);
    await writeFile(target, eps);
    const ds = await openDataset(target);
    try {
      expect(ds.numEpisodes).toBe(3);
      expect(ds.readEpisode(2)).toEqual(eps[2]);
    } finally {
      ds.close();
    }
    expect(readdirSync(join(dir, 'fresh', 'data'))).toEqual(['new.h5']);
  });

  it('refuses to replace an --out that is not a dataset, and leaves it as it was', async () => {
    const target = join(dir, 'notes.txt');
    writeFileSync(target, 'previous contents');
    await expect(DatasetWriter.create(target, HEADER)).rejects.toMatchObject({
      name: 'UserError', message: expect.stringMatching(/notes\.txt' exists and is not an HDF5 dataset/),
    });
    expect(readFileSync(target, 'utf8')).toBe('previous contents');
    expect(readdirSync(dir).filter((f) => f.startsWith('.tmp-') && f.endsWith('notes.txt'))).toEqual([]);
  });
});

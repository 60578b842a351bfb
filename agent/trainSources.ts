// Training data from one or more datasets. One world model may learn the physics of several tasks
// at once, provided their episodes come from the same world: the same scene and camera, image
// size, action bounds, physics step and state layout. The datasets are checked against each other,
// merged into one episode list, and split for validation dataset by dataset, so every task is
// held out in proportion.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../sim/errors.ts';
import type { DatasetInfo } from '../sim/dataset.ts';
import type { EnvSpec, EpisodeData } from '../sim/types.ts';
import { splitEpisodes } from './trainData.ts';

/** One dataset a model was trained on, as recorded in its checkpoint. */
export interface DataSource {
  path: string;
  /** Of the content (datasetHasher), not the file's bytes. */
  sha256: string;
  episodes: number;
  taskId: string;
}

export interface TrainingData {
  episodes: EpisodeData[];
  /** The merged spec (mergeSpecs). */
  spec: EnvSpec;
  sources: DataSource[];
  /** For checkpoints: the paths joined by commas, and one hash over every dataset's (a single dataset's own). */
  path: string;
  sha256: string;
}

/**
 * Spec members that describe the task rather than the world: they may differ between the datasets
 * of one model. Every other member must be equal, including any added later (a new camera option,
 * say), so a dataset from another world is never merged by oversight.
 */
const TASK_MEMBERS: ReadonlySet<string> = new Set(['taskId', 'taskIds', 'maxSteps', 'failureDependsOnGoal']);

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The task ids a spec covers: its own list for a merged spec, else its one task. */
export function taskIdsOf(spec: EnvSpec): string[] {
  return spec.taskIds ?? [spec.taskId];
}

/**
 * One spec for episodes of several datasets, or a UserError naming the first member on which two
 * of them disagree. The merged spec lists its tasks (`taskIds`; `taskId` joins them with '+'), keeps
 * the longest episode limit, and, with more than one task, says that failures depend on the goal:
 * what one task calls a failure (slide: the bottle fell) may be what another asks for (tip), so a
 * failure head learns from bursts alone.
 */
export function mergeSpecs(specs: { path: string; spec: EnvSpec }[]): EnvSpec {
  if (specs.length === 0) throw new Error('mergeSpecs needs at least one spec');
  const [first, ...rest] = specs;
  if (rest.length === 0) return first.spec;
  const keys = new Set(specs.flatMap((s) => Object.keys(s.spec)).filter((k) => !TASK_MEMBERS.has(k)));
  for (const other of rest) {
    for (const key of keys) {
      const a = (first.spec as unknown as Record<string, unknown>)[key];
      const b = (other.spec as unknown as Record<string, unknown>)[key];
      if (canonical(a) !== canonical(b)) {
        throw new UserError(
          `datasets '${first.path}' and '${other.path}' come from different worlds: their ${key} differ (${canonical(a)} vs ${canonical(b)})`,
          'train one model only on datasets collected with the same scene, camera, --obs-size and action bounds (collect them again with the same flags)',
        );
      }
    }
  }
  const ids = [...new Set(specs.flatMap((s) => taskIdsOf(s.spec)))];
  if (ids.length === 1) return { ...first.spec, maxSteps: Math.max(...specs.map((s) => s.spec.maxSteps)) };
  return {
    ...first.spec,
    taskId: ids.join('+'),
    taskIds: ids,
    maxSteps: Math.max(...specs.map((s) => s.spec.maxSteps)),
    failureDependsOnGoal: true,
  };
}

/** `a.h5,b.h5` or a list of paths, in order, each file once (by resolved path: ./a.h5 is a.h5); `flag` names the option in errors. */
export function dataPaths(data: string | readonly string[], flag = '--data'): string[] {
  const list = (typeof data === 'string' ? data.split(',') : [...data]).map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new UserError(`${flag} names no dataset`, `pass a dataset file, or several separated by commas: ${flag} data/slide.h5,data/tip.h5`);
  const seen = new Set<string>();
  for (const p of list) {
    if (seen.has(resolve(p))) throw new UserError(`${flag} lists '${p}' twice`, 'list each dataset once');
    seen.add(resolve(p));
  }
  return list;
}

/**
 * A dataset's content hash: its attributes and every episode's arrays as read, in file order. Not
 * the file's bytes: HDF5 stamps each object with the time it was written, so collecting the same
 * episodes again gives another file hash, and a user who collects the shipped models' data could
 * never match their checkpoints. `created_by` (the command line, with its --out path) is provenance,
 * not content, and is left out.
 */
export function datasetHasher(info: DatasetInfo): { add(e: EpisodeData): void; digest(): string } {
  const h = createHash('sha256');
  const { createdBy: _provenance, ...content } = info;
  h.update(JSON.stringify(content));
  return {
    add(e: EpisodeData) {
      for (const a of [e.goal, e.depth, e.proprio, e.actions, e.state, e.terminations, e.truncations]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      h.update(JSON.stringify([e.seed, e.length, e.outcome, e.behaviour]));
    },
    digest: () => h.digest('hex'),
  };
}

/** A single dataset's hash is its own (datasetHasher); several datasets hash the list of (path-independent) dataset hashes. */
export function combinedSha256(shas: readonly string[]): string {
  return shas.length === 1 ? shas[0] : createHash('sha256').update(shas.join('\n')).digest('hex');
}

/** Every file must exist before any is read, so a typo in the third path fails at once. */
export function checkDataPaths(paths: readonly string[]): void {
  for (const p of paths) {
    if (!existsSync(p)) {
      throw new UserError(`dataset '${p}' does not exist`, 'collect one first, e.g. jepa-mpc collect --task slide --episodes 200 --out data/slide.h5');
    }
  }
}

export async function loadTrainingData(paths: readonly string[], world?: { path: string; spec: EnvSpec }): Promise<TrainingData> {
  checkDataPaths(paths);
  const { openDataset } = await import('../sim/datasetReader.ts');
  const episodes: EpisodeData[] = [];
  // `world` (datasets already loaded): each file must match it too, and the merged spec covers it.
  const specs: { path: string; spec: EnvSpec }[] = world ? [world] : [];
  const sources: DataSource[] = [];
  for (const path of paths) {
    const ds = await openDataset(path);
    try {
      // The level as read (0 for files from before levels were recorded), so such a file merges with a level-0 one.
      specs.push({ path, spec: { ...ds.info.envSpec, distractors: ds.info.distractors } });
      // Checked before the episodes are read: a mismatch should not cost a minute of loading.
      mergeSpecs(specs);
      const hash = datasetHasher(ds.info);
      for (let i = 0; i < ds.numEpisodes; i++) {
        const e = ds.readEpisode(i);
        hash.add(e);
        episodes.push(e);
      }
      sources.push({ path, sha256: hash.digest(), episodes: ds.numEpisodes, taskId: ds.info.envSpec.taskId });
    } finally {
      ds.close();
    }
  }
  return {
    episodes, spec: mergeSpecs(specs), sources,
    path: paths.join(','), sha256: combinedSha256(sources.map((s) => s.sha256)),
  };
}

/**
 * Hold out whole episodes of every dataset (splitEpisodes per dataset, the same seed), as indices
 * into the merged list. With one dataset this is splitEpisodes itself.
 */
export function splitSources(counts: readonly number[], valFraction: number, seed: number): { train: number[]; val: number[] } {
  const train: number[] = [];
  const val: number[] = [];
  let offset = 0;
  for (const n of counts) {
    const s = splitEpisodes(n, valFraction, seed);
    train.push(...s.train.map((i) => i + offset));
    val.push(...s.val.map((i) => i + offset));
    offset += n;
  }
  return { train, val };
}

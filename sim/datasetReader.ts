// Reads an episode dataset written by sim/dataset.ts. Everything is validated when the file is
// opened (metadata only, cheap), so a bad file fails before training starts, with a message that
// names the file, the part that is wrong, and how to get a good file again.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from './errors.ts';
import { Rng } from './rng.ts';
import type { EpisodeData, Outcome, OutcomeKind, TrainingWindow } from './types.ts';
import { DATASET_FORMAT, DATASET_FORMAT_VERSION, READABLE_FORMAT_VERSIONS, episodeChecksum, episodeGroupName, type DatasetInfo } from './dataset.ts';
import { hdf5Reason, loadHdf5, quietHdf5, sniffHdf5, type H5Dataset, type H5File, type H5Group } from './hdf5.ts';

export interface WindowOptions {
  /** Distance between window starts within an episode (default 1: every start). */
  stride?: number;
  /** Visit windows in a seeded random order instead of file order. */
  shuffle?: boolean;
  seed?: number;
  /** Only these episodes (file positions); default all. */
  episodes?: number[];
}

export interface WindowRef {
  episode: number;
  start: number;
}

export interface EpisodeDataset {
  readonly path: string;
  readonly info: DatasetInfo;
  readonly numEpisodes: number;
  episodeLength(i: number): number;
  readEpisode(i: number): EpisodeData;
  /** Every (episode, start) with k actions inside one episode; never crosses episodes. */
  windowRefs(k: number, opts?: WindowOptions): WindowRef[];
  /** Read one window of k actions and k+1 observations from the file (a slice, not the episode). */
  readWindow(episode: number, start: number, k: number): TrainingWindow;
  /** Streams windows lazily: each is read from the file when the iterator reaches it. */
  windows(k: number, opts?: WindowOptions): Iterable<TrainingWindow>;
  close(): void;
}

const REFIX = 're-run `jepa-mpc collect` to write a new file (e.g. `npx tsx cli.ts collect --task slide --episodes 200 --seed 1 --out data/slide.h5`)';
const EPISODE_DATASETS = ['observations/depth', 'observations/proprio', 'actions', 'state', 'terminations', 'truncations', 'goal'] as const;

function bad(path: string, what: string): UserError {
  return new UserError(`dataset '${path}': ${what}`, REFIX);
}

/** An h5wasm read; HDF5 reporting any error (damaged metadata) makes it a clear UserError. */
function h5read<T>(path: string, what: string, fn: () => T): T {
  const r = quietHdf5(fn);
  if (r.error !== undefined || r.diag.length > 0) throw bad(path, `${what} cannot be read: ${hdf5Reason(r.diag)}`);
  return r.value as T;
}

/** Attribute names per object: h5wasm's `attrs` getter lists them anew on every access. */
const attrNames = new WeakMap<H5File | H5Group, Set<string>>();

function hasAttr(path: string, obj: H5File | H5Group, name: string, where = 'file'): boolean {
  let names = attrNames.get(obj);
  if (!names) attrNames.set(obj, (names = new Set(h5read(path, `${where} attributes`, () => Object.keys(obj.attrs)))));
  return names.has(name);
}

function attr(path: string, obj: H5File | H5Group, name: string, where = 'file'): unknown {
  if (!hasAttr(path, obj, name, where)) throw bad(path, `${where} attribute '${name}' is missing`);
  return h5read(path, `${where} attribute '${name}'`, () => obj.get_attribute(name, false));
}

function num(path: string, obj: H5File | H5Group, name: string, where?: string): number {
  const v = attr(path, obj, name, where);
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(path, `${where ?? 'file'} attribute '${name}' is not a number`);
  return n;
}

function str(path: string, obj: H5File | H5Group, name: string, where?: string): string {
  const v = attr(path, obj, name, where);
  if (typeof v !== 'string') throw bad(path, `${where ?? 'file'} attribute '${name}' is not a string`);
  return v;
}

function json<T>(path: string, f: H5File, name: string): T {
  try {
    return JSON.parse(str(path, f, name)) as T;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw bad(path, `file attribute '${name}' is not valid JSON`);
  }
}

function u32list(path: string, f: H5File, name: string): number[] {
  const v = attr(path, f, name);
  if (!(v instanceof Uint32Array)) throw bad(path, `file attribute '${name}' is not a uint32 array`);
  return Array.from(v);
}

function readInfo(path: string, f: H5File): DatasetInfo {
  const format = attr(path, f, 'format');
  if (format !== DATASET_FORMAT) {
    throw bad(path, `not a jepa-mpc episode file (format attribute is ${JSON.stringify(format)}, expected '${DATASET_FORMAT}')`);
  }
  const formatVersion = num(path, f, 'format_version');
  if (!READABLE_FORMAT_VERSIONS.includes(formatVersion)) {
    throw new UserError(
      `dataset '${path}': format version ${formatVersion}, but this build reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')} (it writes ${DATASET_FORMAT_VERSION})`,
      `${REFIX}, or use the jepa-mpc version that wrote it`,
    );
  }
  const envSpec = json<DatasetInfo['envSpec']>(path, f, 'env_spec');
  const info: DatasetInfo = {
    format, formatVersion, envSpec,
    taskId: str(path, f, 'task_id'),
    taskConfig: json(path, f, 'task_config'),
    camera: json(path, f, 'camera'),
    obsSize: { width: num(path, f, 'obs_width'), height: num(path, f, 'obs_height') },
    collectSeed: num(path, f, 'collect_seed'),
    episodeSeeds: u32list(path, f, 'episode_seeds'),
    episodeIndices: u32list(path, f, 'episode_indices'),
    totalEpisodes: num(path, f, 'total_episodes'),
    totalSteps: num(path, f, 'total_steps'),
    behaviourCounts: json(path, f, 'behaviour_counts'),
    createdBy: str(path, f, 'created_by'),
    distractors: 0,
  };
  if (!envSpec || !envSpec.obsSize || !Array.isArray(envSpec.stateLabels)) throw bad(path, "file attribute 'env_spec' lacks obsSize or stateLabels");
  info.distractors = distractorsOf(path, f, envSpec);
  if (info.episodeSeeds.length !== info.totalEpisodes || info.episodeIndices.length !== info.totalEpisodes) {
    throw bad(path, `total_episodes is ${info.totalEpisodes} but episode_seeds/episode_indices list ${info.episodeSeeds.length}/${info.episodeIndices.length}`);
  }
  return info;
}

/** The scene's distractor level: files written before it existed have neither the root attribute nor the env_spec field (level 0). */
function distractorsOf(path: string, f: H5File, envSpec: DatasetInfo['envSpec']): number {
  const root = hasAttr(path, f, 'distractors') ? num(path, f, 'distractors') : undefined;
  const inSpec = envSpec.distractors;
  const level = root ?? inSpec ?? 0;
  if (!Number.isInteger(level) || level < 0) throw bad(path, `distractor level ${level} is not a whole number >= 0`);
  if (root !== undefined && inSpec !== undefined && root !== inSpec) {
    throw bad(path, `root attribute 'distractors' (${root}) disagrees with env_spec.distractors (${inSpec})`);
  }
  return level;
}

interface EpisodeEntry { group: H5Group; length: number; tail: number; sets: Record<(typeof EPISODE_DATASETS)[number], H5Dataset> }

function openEpisode(path: string, f: H5File, info: DatasetInfo, pos: number): EpisodeEntry {
  const name = episodeGroupName(info.episodeIndices[pos]);
  const group = h5read(path, `episode group '${name}'`, () => f.get(name));
  if ((group as { type?: string } | null | undefined)?.type !== 'Group') {
    throw bad(path, `episode group '${name}' is missing (the file lists ${info.totalEpisodes} episodes)`);
  }
  const g = group as H5Group;
  const where = `'${name}'`;
  const T = num(path, g, 'length', where);
  const tail = hasAttr(path, g, 'tail', where) ? num(path, g, 'tail', where) : 0;
  if (!Number.isInteger(tail) || tail < 0 || (tail > 0 && tail >= T)) throw bad(path, `${where} has tail ${tail} for ${T} transitions`);
  const { width: W, height: H } = info.obsSize;
  const S = info.envSpec.stateLabels.length;
  const shapes: Record<string, number[]> = {
    'observations/depth': [T + 1, H, W], 'observations/proprio': [T + 1, 3], actions: [T, 3],
    state: [T + 1, S], terminations: [T], truncations: [T],
  };
  const sets = {} as EpisodeEntry['sets'];
  for (const d of EPISODE_DATASETS) {
    const ds = h5read(path, `dataset '${name}/${d}'`, () => g.get(d)) as H5Dataset | null;
    if (!ds || (ds as { type?: string }).type !== 'Dataset') throw bad(path, `dataset '${name}/${d}' is missing`);
    const shape = h5read(path, `dataset '${name}/${d}'`, () => ds.shape) ?? [];
    const want = shapes[d];
    if (want && (shape.length !== want.length || shape.some((s, i) => s !== want[i]))) {
      throw bad(path, `dataset '${name}/${d}' has shape [${shape.join(', ')}], expected [${want.join(', ')}]`);
    }
    sets[d] = ds;
  }
  return { group: g, length: T, tail, sets };
}

function readSlice<A extends Float32Array | Uint8Array>(path: string, ds: H5Dataset, lo: number, hi: number, type: new (n: number) => A): A {
  const v = h5read(path, `'${ds.path}' rows ${lo}..${hi}`, () => ds.slice([[lo, hi]]));
  if (!(v instanceof type)) throw bad(path, `'${ds.path}' is not ${type.name === 'Uint8Array' ? 'uint8' : 'float32'}`);
  return v as A;
}

function readOutcome(path: string, g: H5Group, where: string): Outcome {
  return {
    kind: str(path, g, 'outcome_kind', where) as OutcomeKind,
    success: num(path, g, 'outcome_success', where) === 1,
    reason: str(path, g, 'outcome_reason', where),
    distance: num(path, g, 'outcome_distance', where),
  };
}

export async function openDataset(file: string): Promise<EpisodeDataset> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UserError(`dataset '${file}' does not exist`, `check the path, or create it: ${REFIX}`);
  if (statSync(path).isDirectory()) throw new UserError(`dataset '${file}' is a directory, not an HDF5 file`, 'give the path of the .h5 file');
  const h5 = await loadHdf5();
  const sniffed = sniffHdf5(path);
  if (sniffed) throw bad(file, sniffed);
  const opened = quietHdf5(() => new h5.File(path, 'r'));
  // h5wasm reports a failed open as a negative file id rather than an exception.
  if (opened.error !== undefined || !opened.value || opened.value.file_id < 0n) throw bad(file, hdf5Reason(opened.diag));
  const f = opened.value;
  try {
    const info = readInfo(file, f);
    const entries = info.episodeIndices.map((_, i) => openEpisode(file, f, info, i));
    return makeDataset(file, f, info, entries);
  } catch (e) {
    quietHdf5(() => f.close());
    throw e;
  }
}

function makeDataset(path: string, f: H5File, info: DatasetInfo, entries: EpisodeEntry[]): EpisodeDataset {
  const check = (i: number): EpisodeEntry => {
    if (!Number.isInteger(i) || i < 0 || i >= entries.length) throw new RangeError(`episode ${i} out of range 0..${entries.length - 1}`);
    return entries[i];
  };
  const readWindow = (episode: number, start: number, k: number): TrainingWindow => {
    const e = check(episode);
    if (!Number.isInteger(k) || k < 1 || start < 0 || start + k > e.length) {
      throw new RangeError(`window start ${start}, k ${k} does not fit episode ${episode} of length ${e.length}`);
    }
    return {
      episode, start,
      depth: readSlice(path, e.sets['observations/depth'], start, start + k + 1, Float32Array),
      proprio: readSlice(path, e.sets['observations/proprio'], start, start + k + 1, Float32Array),
      actions: readSlice(path, e.sets.actions, start, start + k, Float32Array),
      state: readSlice(path, e.sets.state, start, start + k + 1, Float32Array),
    };
  };
  const windowRefs = (k: number, opts: WindowOptions = {}): WindowRef[] => {
    const stride = opts.stride ?? 1;
    if (!Number.isInteger(k) || k < 1) throw new UserError(`window length k must be a whole number >= 1, got ${k}`, 'pass e.g. k = 4');
    if (!Number.isInteger(stride) || stride < 1) throw new UserError(`window stride must be a whole number >= 1, got ${stride}`, 'pass e.g. stride = 1');
    const refs: WindowRef[] = [];
    for (const ep of opts.episodes ?? entries.map((_, i) => i)) {
      const T = check(ep).length;
      for (let s = 0; s + k <= T; s += stride) refs.push({ episode: ep, start: s });
    }
    if (opts.shuffle) {
      const rng = new Rng(opts.seed ?? 0);
      for (let i = refs.length - 1; i > 0; i--) {
        const j = rng.int(0, i + 1);
        [refs[i], refs[j]] = [refs[j], refs[i]];
      }
    }
    return refs;
  };
  return {
    path, info, numEpisodes: entries.length,
    episodeLength: (i) => check(i).length,
    readEpisode(i) {
      const e = check(i);
      const where = `'${episodeGroupName(info.episodeIndices[i])}'`;
      const T = e.length;
      const goal = h5read(path, `${where}/goal`, () => e.sets.goal.value);
      if (!(goal instanceof Float32Array)) throw bad(path, `${where}/goal cannot be read as float32`);
      const ep: EpisodeData = {
        seed: num(path, e.group, 'seed', where), length: T, goal,
        depth: readSlice(path, e.sets['observations/depth'], 0, T + 1, Float32Array),
        proprio: readSlice(path, e.sets['observations/proprio'], 0, T + 1, Float32Array),
        actions: readSlice(path, e.sets.actions, 0, T, Float32Array),
        state: readSlice(path, e.sets.state, 0, T + 1, Float32Array),
        terminations: readSlice(path, e.sets.terminations, 0, T, Uint8Array),
        truncations: readSlice(path, e.sets.truncations, 0, T, Uint8Array),
        outcome: readOutcome(path, e.group, where),
        behaviour: str(path, e.group, 'behaviour', where),
        ...(e.tail > 0 ? { tail: e.tail } : {}),
      };
      // Files without a checksum (none so far) are read unchecked rather than refused.
      if (hasAttr(path, e.group, 'checksum', where)) {
        const stored = num(path, e.group, 'checksum', where);
        const actual = episodeChecksum(ep);
        if (stored !== actual) throw bad(path, `${where} fails its checksum (stored ${stored}, computed ${actual}): its data is corrupt`);
      }
      return ep;
    },
    windowRefs, readWindow,
    windows(k, opts) {
      const refs = windowRefs(k, opts);
      return {
        *[Symbol.iterator]() {
          for (const r of refs) yield readWindow(r.episode, r.start, k);
        },
      };
    },
    close() {
      quietHdf5(() => f.close());
    },
  };
}

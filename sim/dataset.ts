// The episode dataset on disk: an HDF5 file in a Minari-like layout (one group per episode), written
// with h5wasm so Python's h5py reads it too. The layout is documented for h5py users in the
// README's dataset section; DATASET_FORMAT / DATASET_FORMAT_VERSION change whenever it changes.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CameraSpec, EnvSpec, EpisodeData } from './types.ts';
import { ensureWritableTarget, makeDirs, removeStaleTemps, tempPathFor } from './atomicWrite.ts';
import { UserError } from './errors.ts';
import { BEHAVIOUR_KINDS } from './explore.ts';
import { hdf5Reason, loadHdf5, quietHdf5, sniffHdf5, type H5File } from './hdf5.ts';

export const DATASET_FORMAT = 'jepa-mpc-episodes';
/** 2: an episode may go on after the task ended (its `tail` attribute). Version 1 files read as tail 0. */
export const DATASET_FORMAT_VERSION = 2;
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];


/** The task's configuration as recorded in the file (`task_config` attribute, JSON). */
export interface TaskConfig {
  actionBounds: EnvSpec['actionBounds'];
  maxSteps: number;
  /** Contact force (N) above which the bottle bursts; null if the task never bursts. */
  burstThreshold: number | null;
  stateLabels: string[];
  controlDt: number;
  substeps: number;
}

/** File-level facts, stored as root attributes; what a reader needs without touching episodes. */
export interface DatasetInfo {
  format: string;
  formatVersion: number;
  taskId: string;
  taskConfig: TaskConfig;
  camera: CameraSpec;
  envSpec: EnvSpec;
  obsSize: { width: number; height: number };
  collectSeed: number;
  /** Seed of each stored episode, in file order. */
  episodeSeeds: number[];
  /** Collection index of each stored episode (episode_<index> group names), in file order. */
  episodeIndices: number[];
  totalEpisodes: number;
  totalSteps: number;
  /** How many stored episodes slid, tipped, burst, only touched, or never touched the bottle. */
  behaviourCounts: Record<string, number>;
  createdBy: string;
  /** Distractor level of the scene (root attribute `distractors`, as in env_spec; files without it: 0). */
  distractors: number;
}

/** What the caller knows before the first episode is written. */
export type DatasetHeader = Pick<DatasetInfo, 'taskId' | 'taskConfig' | 'envSpec' | 'collectSeed' | 'createdBy'>;

export function episodeGroupName(index: number): string {
  return `episode_${String(index).padStart(6, '0')}`;
}

/**
 * Integrity hash of an episode's arrays (depth, proprio, actions, state, terminations, truncations,
 * goal, in that order): FNV-1a over little-endian 32-bit words, each array zero-padded to whole
 * words. HDF5 checksums its metadata but not raw data, so a flipped byte in an image would
 * otherwise be read back silently.
 */
export function episodeChecksum(ep: Pick<EpisodeData, 'depth' | 'proprio' | 'actions' | 'state' | 'terminations' | 'truncations' | 'goal'>): number {
  let h = 0x811c9dc5;
  for (const a of [ep.depth, ep.proprio, ep.actions, ep.state, ep.terminations, ep.truncations, ep.goal]) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const whole = bytes.byteLength >> 2;
    const words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, whole) : null;
    for (let i = 0; i < whole; i++) {
      const w = words ? words[i] : bytes[4 * i] | (bytes[4 * i + 1] << 8) | (bytes[4 * i + 2] << 16) | (bytes[4 * i + 3] << 24);
      h = Math.imul(h ^ w, 0x01000193);
    }
    if (bytes.byteLength % 4 !== 0) {
      let w = 0;
      for (let k = whole * 4, sh = 0; k < bytes.byteLength; k++, sh += 8) w |= bytes[k] << sh;
      h = Math.imul(h ^ w, 0x01000193);
    }
  }
  return h >>> 0;
}

function checkEpisode(ep: EpisodeData, spec: EnvSpec): void {
  const T = ep.length;
  const hw = spec.obsSize.width * spec.obsSize.height;
  const S = spec.stateLabels.length;
  const expect: [string, number, number][] = [
    ['depth', ep.depth.length, (T + 1) * hw], ['proprio', ep.proprio.length, (T + 1) * 3],
    ['actions', ep.actions.length, T * 3], ['state', ep.state.length, (T + 1) * S],
    ['terminations', ep.terminations.length, T], ['truncations', ep.truncations.length, T],
  ];
  for (const [name, got, want] of expect) {
    if (got !== want) throw new Error(`episode seed ${ep.seed}: ${name} has ${got} values, expected ${want} (T=${T})`);
  }
  const tail = ep.tail ?? 0;
  if (!Number.isInteger(tail) || tail < 0 || tail >= Math.max(T, 1) || (tail > 0 && ep.terminations[T - tail - 1] !== 1)) {
    throw new Error(`episode seed ${ep.seed}: tail ${tail} must follow a termination within its ${T} transitions`);
  }
}

/**
 * Writes episodes one by one into a temporary sibling of the target and renames it into place on
 * finish(), so a crash or Ctrl-C never leaves a half-written file at the target path.
 */
export class DatasetWriter {
  private readonly file: H5File;
  private readonly seeds: number[] = [];
  private readonly indices: number[] = [];
  private readonly counts: Record<string, number> = Object.fromEntries(BEHAVIOUR_KINDS.map((b) => [b, 0]));
  private steps = 0;
  private closed = false;

  private constructor(readonly target: string, readonly tempPath: string, private readonly header: DatasetHeader, h5: Awaited<ReturnType<typeof loadHdf5>>) {
    this.file = new h5.File(tempPath, 'w');
  }

  static async create(target: string, header: DatasetHeader): Promise<DatasetWriter> {
    ensureWritableTarget(target, 'dataset');
    const abs = resolve(target);
    // Only a dataset is replaced: a typo'd --out (a source file, a report) is never overwritten.
    if (existsSync(abs) && statSync(abs).size > 0 && sniffHdf5(abs)?.startsWith('not an HDF5 file')) {
      throw new UserError(`--out '${target}' exists and is not an HDF5 dataset; collect replaces only a dataset file`,
        'choose another path for the dataset, or move that file away first');
    }
    const h5 = await loadHdf5();
    // h5wasm opens a file in a missing folder without an error and then drops every write, so
    // the folder must exist before the temp file is opened, and the file must be on disk after.
    makeDirs(dirname(abs));
    removeStaleTemps(abs);
    const tempPath = tempPathFor(abs);
    const opened = quietHdf5(() => new DatasetWriter(abs, tempPath, header, h5));
    if (opened.value && existsSync(tempPath)) return opened.value;
    if (opened.value) opened.value.abort();
    rmSync(tempPath, { force: true });
    const why = hdf5Reason(opened.diag) || (opened.error === undefined ? 'the file was not created' : String(opened.error));
    throw new UserError(`cannot create dataset '${target}': ${why}`, 'choose an output path in a directory you can write to');
  }

  get episodesWritten(): number {
    return this.seeds.length;
  }

  /** Append one episode; `index` is its collection index (episode i used seed trainingSeed(seed, i)). */
  append(ep: EpisodeData, index: number): void {
    const spec = this.header.envSpec;
    checkEpisode(ep, spec);
    const T = ep.length;
    const { width: W, height: H } = spec.obsSize;
    const S = spec.stateLabels.length;
    const g = this.file.create_group(episodeGroupName(index));
    const obs = g.create_group('observations');
    obs.create_dataset({ name: 'depth', data: ep.depth, shape: [T + 1, H, W], dtype: '<f' });
    obs.create_dataset({ name: 'proprio', data: ep.proprio, shape: [T + 1, 3], dtype: '<f' });
    g.create_dataset({ name: 'actions', data: ep.actions, shape: [T, 3], dtype: '<f' });
    g.create_dataset({ name: 'state', data: ep.state, shape: [T + 1, S], dtype: '<f' });
    g.create_dataset({ name: 'terminations', data: ep.terminations, shape: [T], dtype: '<B' });
    g.create_dataset({ name: 'truncations', data: ep.truncations, shape: [T], dtype: '<B' });
    g.create_dataset({ name: 'goal', data: ep.goal, shape: [ep.goal.length], dtype: '<f' });
    g.create_attribute('seed', ep.seed, null, '<I');
    g.create_attribute('index', index, null, '<I');
    g.create_attribute('length', T, null, '<I');
    g.create_attribute('tail', ep.tail ?? 0, null, '<I');
    g.create_attribute('behaviour', ep.behaviour);
    g.create_attribute('outcome_kind', ep.outcome.kind);
    g.create_attribute('outcome_success', ep.outcome.success ? 1 : 0, null, '<B');
    g.create_attribute('outcome_reason', ep.outcome.reason);
    g.create_attribute('outcome_distance', ep.outcome.distance, null, '<d');
    g.create_attribute('checksum', episodeChecksum(ep), null, '<I');
    this.seeds.push(ep.seed);
    this.indices.push(index);
    this.counts[ep.behaviour] = (this.counts[ep.behaviour] ?? 0) + 1;
    this.steps += T;
  }

  /** Write the file attributes, close, and atomically move the file to the target. */
  finish(): DatasetInfo {
    const h = this.header;
    const info: DatasetInfo = {
      format: DATASET_FORMAT, formatVersion: DATASET_FORMAT_VERSION, taskId: h.taskId, taskConfig: h.taskConfig,
      camera: h.envSpec.camera, envSpec: h.envSpec, obsSize: h.envSpec.obsSize, collectSeed: h.collectSeed,
      episodeSeeds: [...this.seeds], episodeIndices: [...this.indices], totalEpisodes: this.seeds.length,
      totalSteps: this.steps, behaviourCounts: { ...this.counts }, createdBy: h.createdBy, distractors: h.envSpec.distractors ?? 0,
    };
    const f = this.file;
    f.create_attribute('format', info.format);
    f.create_attribute('format_version', info.formatVersion, null, '<i');
    f.create_attribute('task_id', info.taskId);
    f.create_attribute('task_config', JSON.stringify(info.taskConfig));
    f.create_attribute('camera', JSON.stringify(info.camera));
    f.create_attribute('env_spec', JSON.stringify(info.envSpec));
    f.create_attribute('obs_height', info.obsSize.height, null, '<i');
    f.create_attribute('obs_width', info.obsSize.width, null, '<i');
    f.create_attribute('collect_seed', info.collectSeed >>> 0, null, '<I');
    f.create_attribute('episode_seeds', new Uint32Array(info.episodeSeeds), [info.totalEpisodes], '<I');
    f.create_attribute('episode_indices', new Uint32Array(info.episodeIndices), [info.totalEpisodes], '<I');
    f.create_attribute('total_episodes', info.totalEpisodes, null, '<i');
    f.create_attribute('total_steps', info.totalSteps, null, '<i');
    f.create_attribute('behaviour_counts', JSON.stringify(info.behaviourCounts));
    f.create_attribute('created_by', info.createdBy);
    f.create_attribute('distractors', info.distractors, null, '<i');
    f.close();
    this.closed = true;
    renameSync(this.tempPath, this.target);
    return info;
  }

  /** Drop the temporary file; the target (if it existed) is untouched. */
  abort(): void {
    if (!this.closed) quietHdf5(() => this.file.close());
    this.closed = true;
    if (existsSync(this.tempPath)) rmSync(this.tempPath, { force: true });
  }
}

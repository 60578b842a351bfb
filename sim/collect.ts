// `jepa-mpc collect`: run exploration episodes across worker threads and write them, in episode
// order, to an HDF5 dataset written atomically. Episode i uses seed trainingSeed(seed, i), so the
// data are the same for any number of workers. Ctrl-C keeps the completed prefix in a valid file.
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { ensureWritableTarget } from './atomicWrite.ts';
import { runEpisodePool } from './collectPool.ts';
import { DatasetWriter, type DatasetInfo } from './dataset.ts';
import { Env } from './env.ts';
import { UserError } from './errors.ts';
import { BEHAVIOUR_KINDS } from './explore.ts';
import { trainingSeed } from './rng.ts';
import { DEFAULT_TAIL_STEPS } from './rollout.ts';
import { loadTask } from './tasks/registry.ts';
import type { EpisodeData } from './types.ts';

export interface CollectOptions {
  /** Built-in task id or a path to a task file. */
  task: string;
  episodes: number;
  seed: number;
  out: string;
  obsSize?: number;
  /** Show the pusher in the depth images (default false; see CameraSpec.showsPusher). */
  showsPusher?: boolean;
  /** Steps recorded after each episode's end (default DEFAULT_TAIL_STEPS; 0: none). */
  tailSteps?: number;
  /** Distractor level (default 0; docs/distractors.md). */
  distractors?: number;
  /** Default: one per core (os.availableParallelism()). */
  workers?: number;
  /** 'auto': a bar on a TTY, plain lines otherwise. */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Stop early and keep what is complete (Ctrl-C). */
  signal?: AbortSignal;
  /** Where progress and summary text go (default: stderr / stdout). */
  log?: (line: string) => void;
}

export interface CollectResult {
  info: DatasetInfo | null;
  interrupted: boolean;
  requested: number;
  kept: number;
  /** Wall time of the whole collection, and steps/s once the workers had started. */
  seconds: number;
  stepsPerSecond: number;
  workers: number;
  outcomeCounts: Record<string, number>;
}

function check(ok: boolean, message: string, hint: string): void {
  if (!ok) throw new UserError(message, hint);
}

function validate(o: CollectOptions): Required<Pick<CollectOptions, 'obsSize' | 'workers'>> {
  check(Number.isSafeInteger(o.episodes) && o.episodes >= 1, `--episodes must be a whole number >= 1, got ${o.episodes}`, 'e.g. --episodes 200');
  check(Number.isSafeInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffffffff, `--seed must be a whole number from 0 to 4294967295, got ${o.seed}`, 'e.g. --seed 1');
  const obsSize = o.obsSize ?? 32;
  check(Number.isInteger(obsSize) && obsSize >= 4 && obsSize <= 512, `--obs-size must be a whole number from 4 to 512, got ${obsSize}`, 'e.g. --obs-size 32');
  const workers = o.workers ?? availableParallelism();
  check(Number.isInteger(workers) && workers >= 1 && workers <= 256, `--workers must be a whole number from 1 to 256, got ${workers}`, 'e.g. --workers 2');
  check(typeof o.out === 'string' && o.out.length > 0, '--out is required', 'e.g. --out data/slide.h5');
  const tail = o.tailSteps ?? DEFAULT_TAIL_STEPS;
  check(Number.isInteger(tail) && tail >= 0 && tail <= 1000, `--tail-steps must be a whole number from 0 to 1000, got ${tail}`, `e.g. --tail-steps ${DEFAULT_TAIL_STEPS}`);
  return { obsSize, workers: Math.min(workers, o.episodes) };
}

/** Progress on stderr: a live bar on a terminal, a plain line at most every 2 s otherwise. */
interface Progress { start(): void; update(done: number, steps: number): void; stop(): void }

function progressReporter(mode: CollectOptions['progress'], total: number, log: (s: string) => void): Progress {
  let t0 = performance.now();
  const start = (): void => void (t0 = performance.now());
  const rate = (steps: number): string => (steps / Math.max(1e-3, (performance.now() - t0) / 1000)).toFixed(0);
  const useBar = mode === 'bar' || (mode === 'auto' && process.stderr.isTTY === true);
  if (mode === 'none') return { start, update() {}, stop() {} };
  if (useBar) {
    const bar = new cliProgress.SingleBar({
      format: 'collect [{bar}] {value}/{total} episodes | {steps} steps | {rate} steps/s | ETA {eta}s',
      stream: process.stderr, hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { steps: 0, rate: '0' });
    return { start, update: (done, steps) => bar.update(done, { steps, rate: rate(steps) }), stop: () => bar.stop() };
  }
  let last = -Infinity;
  return {
    start,
    update(done, steps) {
      const now = performance.now();
      if (done !== 1 && done !== total && now - last < 2000) return;
      last = now;
      log(`collect: ${done}/${total} episodes, ${steps} steps, ${rate(steps)} steps/s`);
    },
    stop() {},
  };
}

/** The canonical command that reproduces a file (workers left out: they do not change it). */
function commandLine(o: CollectOptions, obsSize: number): string {
  const tail = o.tailSteps ?? DEFAULT_TAIL_STEPS;
  const distractors = o.distractors ? ` --distractors ${o.distractors}` : '';
  return `jepa-mpc collect --task ${o.task} --episodes ${o.episodes} --seed ${o.seed} --obs-size ${obsSize}${o.showsPusher ? ' --show-pusher' : ''} --tail-steps ${tail}${distractors} --out ${o.out}`;
}

export async function collect(o: CollectOptions): Promise<CollectResult> {
  const { obsSize, workers } = validate(o);
  ensureWritableTarget(o.out, 'dataset');
  const task = await loadTask(o.task);
  const probe = await Env.create({ task, obsSize, showsPusher: o.showsPusher, distractors: o.distractors });
  const spec = probe.spec;
  probe.free();
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const writer = await DatasetWriter.create(o.out, {
    taskId: task.id, envSpec: spec, collectSeed: o.seed, createdBy: commandLine(o, obsSize),
    taskConfig: {
      actionBounds: spec.actionBounds, maxSteps: spec.maxSteps,
      burstThreshold: Number.isFinite(task.burstThreshold) ? task.burstThreshold : null,
      stateLabels: spec.stateLabels, controlDt: spec.controlDt, substeps: spec.substeps,
    },
  });
  const seeds = Array.from({ length: o.episodes }, (_, i) => trainingSeed(o.seed, i));
  const pending = new Map<number, EpisodeData>();
  const outcomeCounts: Record<string, number> = {};
  let nextToWrite = 0;
  let steps = 0;
  let completed = 0;
  const progress = progressReporter(o.progress ?? 'auto', o.episodes, log);
  const t0 = performance.now();
  try {
    const run = await runEpisodePool({ task: o.task, obsSize, renderDepth: true, showsPusher: o.showsPusher, tailSteps: o.tailSteps, distractors: o.distractors, workers }, seeds, (index, r) => {
      pending.set(index, r.episode);
      completed++;
      steps += r.episode.length;
      // Write as soon as the prefix is contiguous, so memory holds only out-of-order episodes.
      for (let ep = pending.get(nextToWrite); ep; ep = pending.get(nextToWrite)) {
        writer.append(ep, nextToWrite);
        outcomeCounts[ep.outcome.kind] = (outcomeCounts[ep.outcome.kind] ?? 0) + 1;
        pending.delete(nextToWrite);
        nextToWrite++;
      }
      progress.update(completed, steps);
    }, o.signal, () => progress.start());
    progress.stop();
    const seconds = (performance.now() - t0) / 1000;
    const workSeconds = (run.endedAt - run.startedAt) / 1000;
    const kept = writer.episodesWritten;
    const info = kept > 0 ? writer.finish() : (writer.abort(), null);
    return { info, interrupted: run.interrupted, requested: o.episodes, kept, seconds, stepsPerSecond: steps / workSeconds, workers, outcomeCounts };
  } catch (e) {
    progress.stop();
    writer.abort();
    throw e;
  }
}

/** The behaviour mix as one line, e.g. "slid 52% (104), tipped 23% (46), ...". */
export function formatMix(counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  return BEHAVIOUR_KINDS.map((k) => `${k} ${Math.round((100 * (counts[k] ?? 0)) / total)}% (${counts[k] ?? 0})`).join(', ');
}

/** The CLI command: Ctrl-C stops collection, keeps completed episodes, exits 130. */
export async function runCollectCommand(o: Omit<CollectOptions, 'signal' | 'log'>): Promise<void> {
  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\ninterrupt: stopping; writing the completed episodes...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const r = await collect({ ...o, signal: controller.signal });
    const out = (s: string): void => void process.stdout.write(s + '\n');
    if (r.info) {
      const i = r.info;
      out(`wrote ${i.totalEpisodes} episodes (${i.totalSteps} steps) of task '${i.taskId}' to ${o.out} in ${r.seconds.toFixed(1)} s (${r.workers} worker${r.workers === 1 ? '' : 's'}, ${r.stepsPerSecond.toFixed(0)} steps/s after start-up)`);
      out(`behaviour mix: ${formatMix(i.behaviourCounts)}`);
      out(`outcomes: ${Object.entries(r.outcomeCounts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    if (r.interrupted) {
      process.stderr.write(r.kept > 0
        ? `interrupted: kept episodes 0..${r.kept - 1} (${r.kept} of ${r.requested}) in ${o.out}; \`--episodes ${r.kept}\` with the same seed reproduces them\n`
        : `interrupted before any episode completed: nothing written (${o.out} untouched)\n`);
      process.exitCode = 130;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// A pool of worker threads that run episodes by seed. Work is handed out one episode at a time
// (a worker asks for more when it finishes), so fast and slow episodes balance across workers;
// results arrive in completion order and the caller puts them in episode order.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from './errors.ts';
import { warmUpRapier } from './rapierWarmup.ts';
import { loadTask } from './tasks/registry.ts';
import type { FromWorker, ToWorker, WorkerInit } from './collectWorker.ts';
import type { EpisodeData } from './types.ts';

export interface PoolOptions extends WorkerInit {
  workers: number;
  /** Compile Rapier's wasm with the optimizing compiler in this thread before the workers start
   * stepping (see rapierWarmup.ts). Default: when the run is long enough to repay its ~2 CPU-s,
   * i.e. at least WARMUP_MIN_TRANSITIONS transitions at the task's maximum episode length. */
  warmUp?: boolean;
  /** Throw-away episodes per built-in task each worker runs when warming up (default
   * WORKER_WARMUP_EPISODES); a benchmark raises it to time fully optimized workers. */
  workerWarmupEpisodes?: number;
}

/** Throw-away episodes per built-in task a warming worker runs (see exerciseSimulation): they
 * cover slides, tips and a burst, so no later episode meets new types and deoptimizes the hot
 * code; few enough to be negligible in a run long enough to warm up. */
export const WORKER_WARMUP_EPISODES = 4;

/**
 * Below this many (maximum) transitions the run is left to V8's default tiering. Above it, warming
 * up is cheaper: by default a run pays both for slow baseline code and, a few hundred steps in,
 * for the same optimizing compile on a background thread (one thread, camera, slide: 2,347
 * transitions cost 4.4 CPU-s by default against 3.4 with the warm-up, 9,008 cost 9.3 against 6.7).
 */
export const WARMUP_MIN_TRANSITIONS = 2000;

export interface PoolEpisode {
  episode: EpisodeData;
  touched: boolean;
  /** Wall time the worker spent on the episode (ms). */
  ms: number;
}

export interface PoolRun {
  /** True if the signal stopped the run before every episode was done. */
  interrupted: boolean;
  /** performance.now() when every worker was ready and work began, and when the run ended. */
  startedAt: number;
  endedAt: number;
  /** Wall ms of the Rapier warm-up in this thread (0 if none ran); it overlaps worker start-up. */
  warmupMs: number;
}

/**
 * Start a worker thread running a TypeScript module. Its entry is a tiny JavaScript bootstrap that
 * registers tsx's loader inside the thread, then imports the module. On Node 20 the loader a parent
 * registered does not reach its workers, and `execArgv: ['--import', 'tsx']` (bare or as an
 * absolute URL) did not either: both fail with "Unknown file extension .ts" (verified on 20.20).
 * Absolute URLs keep it independent of the current directory. Reusable by any worker pool.
 */
export function startTsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/**
 * Run episode i with seeds[i] for every i, calling onEpisode(i, result) as each finishes.
 * Aborting `signal` stops handing out work, drops episodes in flight, and resolves with
 * interrupted = true. onStart runs once every worker is ready (and the Rapier warm-up, if any,
 * is done), just before work is handed out. A worker error (bad task file, a bug) terminates the
 * pool and rejects.
 */
export function runEpisodePool(
  opts: PoolOptions,
  seeds: readonly number[],
  onEpisode: (index: number, result: PoolEpisode) => void,
  signal?: AbortSignal,
  onStart?: () => void,
): Promise<PoolRun> {
  const n = Math.max(1, Math.min(opts.workers, seeds.length));
  const init: WorkerInit = { task: opts.task, obsSize: opts.obsSize, renderDepth: opts.renderDepth, showsPusher: opts.showsPusher, tailSteps: opts.tailSteps, distractors: opts.distractors };
  return new Promise<PoolRun>((resolvePool, rejectPool) => {
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    const loaded: Worker[] = [];
    let prepared = 0;
    /** null until the main thread's warm-up decision and warm-up are done. */
    let warmWorkers: boolean | null = null;
    let warmupMs = 0;
    let startedAt = Number.NaN;
    let settled = false;

    const finish = (outcome: { interrupted?: boolean; error?: unknown }): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const w of workers) {
        w.removeAllListeners('exit');
        void w.terminate();
      }
      if (outcome.error !== undefined) rejectPool(outcome.error);
      else resolvePool({ interrupted: outcome.interrupted ?? false, startedAt, endedAt: performance.now(), warmupMs });
    };
    const onAbort = (): void => finish({ interrupted: done < seeds.length });

    const dispatch = (w: Worker): void => {
      if (settled) return;
      if (next < seeds.length) {
        const index = next++;
        w.postMessage({ type: 'run', index, seed: seeds[index] } satisfies ToWorker);
      } else if (done === seeds.length) {
        finish({ interrupted: false });
      }
    };

    if (seeds.length === 0 || signal?.aborted) {
      const now = performance.now();
      resolvePool({ interrupted: seeds.length > 0, startedAt: now, endedAt: now, warmupMs: 0 });
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    // Start together once every worker is prepared, so throughput excludes start-up.
    const begin = (): void => {
      if (settled || prepared < n || !Number.isNaN(startedAt)) return;
      startedAt = performance.now();
      onStart?.();
      for (const each of workers) dispatch(each);
    };
    // A loaded worker is prepared at once, or, when warming up, after a few throw-away episodes
    // that let V8 optimize its own JavaScript (the wasm code it already shares).
    const prepare = (w: Worker): void => {
      if (warmWorkers) w.postMessage({ type: 'warm', episodes: opts.workerWarmupEpisodes ?? WORKER_WARMUP_EPISODES } satisfies ToWorker);
      else prepared++;
    };
    // The Rapier warm-up runs here while the workers load; they step only after it, so they run
    // the code it compiled instead of each compiling their own.
    void (async () => {
      const task = await loadTask(opts.task);
      const wanted = opts.warmUp ?? seeds.length * task.maxSteps >= WARMUP_MIN_TRANSITIONS;
      if (wanted && !settled) warmupMs = (await warmUpRapier(task)).ms;
      return wanted;
    })().then((wanted) => {
      warmWorkers = wanted;
      for (const w of loaded) prepare(w);
      begin();
    }, (e: unknown) => finish({ error: e }));
    const entry = new URL('./collectWorker.ts', import.meta.url);
    for (let k = 0; k < n; k++) {
      const w = startTsWorker(entry, { workerData: init });
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        if (settled) return;
        if (m.type === 'ready') {
          loaded.push(w);
          if (warmWorkers !== null) prepare(w);
          begin();
        } else if (m.type === 'warmed') {
          prepared++;
          begin();
        } else if (m.type === 'episode') {
          done++;
          try {
            onEpisode(m.index, { episode: m.episode, touched: m.touched, ms: m.stepMs });
          } catch (e) {
            finish({ error: e });
            return;
          }
          dispatch(w);
        } else {
          const where = m.index >= 0 ? ` (episode ${m.index}, seed ${seeds[m.index]})` : '';
          const error = m.user
            ? new UserError(m.message + where, m.hint)
            : Object.assign(new Error(`collect worker failed${where}: ${m.message}`), { stack: m.stack });
          finish({ error });
        }
      });
      w.on('error', (e) => finish({ error: e }));
      w.on('exit', (code) => finish({ error: new Error(`collect worker exited unexpectedly with code ${code}`) }));
    }
  });
}

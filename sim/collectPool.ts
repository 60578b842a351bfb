// A pool of worker threads that run episodes by seed. Work is handed out one episode at a time
// (a worker asks for more when it finishes), so fast and slow episodes balance across workers;
// results arrive in completion order and the caller puts them in episode order.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from './errors.ts';
import type { FromWorker, ToWorker, WorkerInit } from './collectWorker.ts';
import type { EpisodeData } from './types.ts';

export interface PoolOptions extends WorkerInit {
  workers: number;
}

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
 * interrupted = true. onStart runs once every worker is ready, just before work is handed out.
 * A worker error (bad task file, a bug) terminates the pool and rejects.
 */
export function runEpisodePool(
  opts: PoolOptions,
  seeds: readonly number[],
  onEpisode: (index: number, result: PoolEpisode) => void,
  signal?: AbortSignal,
  onStart?: () => void,
): Promise<PoolRun> {
  const n = Math.max(1, Math.min(opts.workers, seeds.length));
  const init: WorkerInit = { task: opts.task, obsSize: opts.obsSize, renderDepth: opts.renderDepth };
  return new Promise<PoolRun>((resolvePool, rejectPool) => {
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    let ready = 0;
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
      else resolvePool({ interrupted: outcome.interrupted ?? false, startedAt, endedAt: performance.now() });
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
      resolvePool({ interrupted: seeds.length > 0, startedAt: now, endedAt: now });
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    const entry = new URL('./collectWorker.ts', import.meta.url);
    for (let k = 0; k < n; k++) {
      const w = startTsWorker(entry, { workerData: init });
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        if (settled) return;
        if (m.type === 'ready') {
          // Start together once every worker has its environment, so throughput excludes start-up.
          if (++ready === n) {
            startedAt = performance.now();
            onStart?.();
            for (const each of workers) dispatch(each);
          }
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

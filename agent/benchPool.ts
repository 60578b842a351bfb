// Hands benchmark chunks to worker threads one at a time (a worker gets the next chunk when it
// finishes one), so slow planners and fast ones balance out. With one worker everything runs in
// this thread instead, which is simpler to debug and what the tests use.
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../sim/collectPool.ts';
import { UserError } from '../sim/errors.ts';
import { warmUpRapier } from '../sim/rapierWarmup.ts';
import { ChunkRunner, type BenchChunk, type FromBenchWorker, type ToBenchWorker, type WorkerSetup } from './benchWorker.ts';
import type { EpisodeResult } from './mpc.ts';

export type OnEpisode = (chunk: BenchChunk, episode: number, result: EpisodeResult) => void;

export async function runBenchPool(chunks: readonly BenchChunk[], setup: WorkerSetup, workers: number, onEpisode: OnEpisode): Promise<void> {
  if (chunks.length === 0) return;
  if (workers <= 1) {
    const runner = new ChunkRunner(setup);
    try {
      for (const c of chunks) await runner.run(c, (i, r) => onEpisode(c, i, r));
    } finally {
      runner.dispose();
    }
    return;
  }
  // Compiled here once, Rapier's optimized code is shared by every worker (sim/rapierWarmup.ts).
  await warmUpRapier();
  // Group-aware ordering: each worker prefers chunks of the (task, planner) it already has
  // loaded, so models are loaded about once per worker instead of once per chunk.
  const pending = chunks.map((c, id) => ({ id, c }));
  const keyOf = (c: BenchChunk): string => `${c.task}\u0000${c.planner}`;
  await new Promise<void>((resolve, reject) => {
    const pool: Worker[] = [];
    const current = new Map<Worker, { id: number; c: BenchChunk } | undefined>();
    const lastKey = new Map<Worker, string>();
    const ready = new Set<Worker>();
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      for (const w of pool) {
        w.removeAllListeners('exit');
        void w.terminate();
      }
      if (error !== undefined) reject(error);
      else resolve();
    };
    const dispatch = (w: Worker): void => {
      if (pending.length === 0) {
        current.set(w, undefined);
        if ([...current.values()].every((v) => v === undefined)) finish();
        return;
      }
      const k = lastKey.get(w);
      let idx = pending.findIndex((p) => keyOf(p.c) === k);
      if (idx < 0) idx = 0;
      const [job] = pending.splice(idx, 1);
      current.set(w, job);
      lastKey.set(w, keyOf(job.c));
      w.postMessage({ type: 'chunk', id: job.id, chunk: job.c } satisfies ToBenchWorker);
    };
    const url = new URL('./benchWorker.ts', import.meta.url);
    for (let k = 0; k < workers; k++) {
      const w = startTsWorker(url, { workerData: { benchWorker: true, setup, usesModels: chunks.some((c) => c.model !== undefined) } });
      pool.push(w);
      current.set(w, undefined);
      w.on('message', (m: FromBenchWorker) => {
        if (settled) return;
        if (m.type === 'ready') {
          // Nothing starts until every worker is ready (see prepareWorker).
          ready.add(w);
          if (ready.size === workers) for (const r of pool) dispatch(r);
        } else if (m.type === 'chunkDone') {
          dispatch(w);
        } else if (m.type === 'episode') {
          try {
            onEpisode(chunks[m.chunkId], m.episode, m.result);
          } catch (e) {
            finish(e);
          }
        } else {
          const job = current.get(w);
          const where = job ? ` (${job.c.planner} on ${job.c.task})` : '';
          finish(m.user ? new UserError(m.message + where, m.hint)
            : Object.assign(new Error(`bench worker failed${where}: ${m.message}`), { stack: m.stack }));
        }
      });
      w.on('error', (e) => finish(e));
      w.on('exit', (code) => finish(new Error(`bench worker exited unexpectedly with code ${code}`)));
    }
  });
}

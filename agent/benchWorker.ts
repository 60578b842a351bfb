// Runs benchmark work: chunks of episodes of one (task, planner). Used in worker threads by
// bench.ts, and in-process when --workers 1. A rig (env + model + planner) is kept while
// consecutive chunks share a (task, planner), and rebuilt when they change. An episode depends
// only on its seeds, so which worker ran it never changes the results.
import { parentPort, workerData, isMainThread } from 'node:worker_threads';
import { isUserError } from '../sim/errors.ts';
import type { BackendChoice } from './backend.ts';
import { runEpisodeSync, type EpisodeResult } from './mpc.ts';
import { createRig, evalPlannerSeed, evalResetSeed, type Rig } from './plan.ts';
import type { SearchSettings } from './planners/modelPlanner.ts';
import type { PlannerName } from './planners/types.ts';

export interface BenchChunk {
  /** Task id or file path (as the user gave it). */
  task: string;
  planner: PlannerName;
  model?: string;
  episodes: number[];
}

export interface WorkerSetup {
  seed: number;
  backend: BackendChoice;
  execute: number;
  settings: Partial<SearchSettings>;
}

export type ToBenchWorker = { type: 'chunk'; id: number; chunk: BenchChunk } | { type: 'stop' };
export type FromBenchWorker =
  | { type: 'ready' }
  | { type: 'episode'; chunkId: number; episode: number; result: EpisodeResult }
  | { type: 'chunkDone'; chunkId: number }
  | { type: 'error'; message: string; hint?: string; user: boolean; stack?: string };

/** Runs chunks with a cached rig; the same class serves the worker thread and the in-process path. */
export class ChunkRunner {
  private rig: Rig | undefined;
  private key = '';

  constructor(private readonly setup: WorkerSetup) {}

  async run(chunk: BenchChunk, onEpisode: (episode: number, r: EpisodeResult) => void): Promise<void> {
    const key = `${chunk.task}\u0000${chunk.planner}\u0000${chunk.model ?? ''}`;
    if (key !== this.key) {
      this.rig?.dispose();
      this.rig = undefined;
      this.rig = await createRig({ task: chunk.task, planner: chunk.planner, model: chunk.model, backend: this.setup.backend, settings: this.setup.settings });
      this.key = key;
    }
    const rig = this.rig!;
    for (const i of chunk.episodes) {
      const r = runEpisodeSync(rig.env, rig.planner, evalResetSeed(this.setup.seed, i), evalPlannerSeed(this.setup.seed, i), { execute: this.setup.execute });
      onEpisode(i, r);
    }
  }

  dispose(): void {
    this.rig?.dispose();
    this.rig = undefined;
    this.key = '';
  }
}

function errorMessage(e: unknown): FromBenchWorker {
  if (isUserError(e)) return { type: 'error', message: e.message, hint: e.hint, user: true };
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: 'error', message: err.message, user: false, stack: err.stack };
}

if (!isMainThread && parentPort && (workerData as { benchWorker?: boolean } | undefined)?.benchWorker) {
  const port = parentPort;
  const runner = new ChunkRunner((workerData as { setup: WorkerSetup }).setup);
  // Chunks arrive one at a time (the pool sends the next after chunkDone), so they never overlap.
  port.on('message', (m: ToBenchWorker) => {
    if (m.type === 'stop') {
      runner.dispose();
      port.close();
      return;
    }
    runner.run(m.chunk, (episode, result) => port.postMessage({ type: 'episode', chunkId: m.id, episode, result } satisfies FromBenchWorker))
      .then(() => port.postMessage({ type: 'chunkDone', chunkId: m.id } satisfies FromBenchWorker))
      .catch((e: unknown) => port.postMessage(errorMessage(e)));
  });
  port.postMessage({ type: 'ready' } satisfies FromBenchWorker);
}

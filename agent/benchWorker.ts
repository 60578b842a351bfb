// Runs benchmark work: chunks of episodes of one (task, planner). Used in worker threads by
// bench.ts, and in-process when --workers 1. A rig (env + model + planner) is kept while
// consecutive chunks share a (task, planner), and rebuilt when they change. An episode depends
// only on its seeds, so which worker ran it never changes the results.
import { parentPort, workerData, isMainThread } from 'node:worker_threads';
import { isUserError } from '../sim/errors.ts';
import { exerciseSimulation } from '../sim/rapierWarmup.ts';
import type { BackendChoice } from './backend.ts';
import { runEpisodeSync, warmUpPlanner, type EpisodeResult } from './mpc.ts';
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
    const fresh = key !== this.key;
    if (fresh) {
      this.rig?.dispose();
      this.rig = undefined;
      this.rig = await createRig({ task: chunk.task, planner: chunk.planner, model: chunk.model, backend: this.setup.backend, settings: this.setup.settings });
      this.key = key;
    }
    const rig = this.rig!;
    if (fresh) warmUpPlanner(rig, evalResetSeed(this.setup.seed, chunk.episodes[0]));
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

/**
 * What every worker does before it reports ready: start the tfjs backend (only if some chunk plans
 * with a model, so a bench of the oracle and random never needs one), and run the simulation once
 * so V8 has optimized the step and render paths. The pool waits for all workers to get here, so
 * one worker's start-up never shares the machine with another's timed episodes.
 */
export async function prepareWorker(setup: WorkerSetup, usesModels: boolean): Promise<void> {
  if (usesModels) {
    const { initBackend } = await import('./backend.ts');
    await initBackend(setup.backend);
  }
  await exerciseSimulation(undefined, 1);
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
  const data = workerData as { setup: WorkerSetup; usesModels: boolean };
  prepareWorker(data.setup, data.usesModels)
    .then(() => port.postMessage({ type: 'ready' } satisfies FromBenchWorker))
    .catch((e: unknown) => port.postMessage(errorMessage(e)));
}

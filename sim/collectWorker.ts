// A collect worker thread: builds its own environment for the task (by id or file path) and runs
// the episodes the main thread hands it, one at a time, sending each back with its buffers
// transferred (no copy). An episode depends only on its seed, so which worker ran it is irrelevant.
import { parentPort, workerData } from 'node:worker_threads';
import { Env } from './env.ts';
import { isUserError } from './errors.ts';
import { exerciseSimulation } from './rapierWarmup.ts';
import { rollout } from './rollout.ts';
import { loadTask } from './tasks/registry.ts';
import type { EpisodeData } from './types.ts';

export interface WorkerInit {
  task: string;
  obsSize: number;
  renderDepth: boolean;
  /** Show the pusher in the depth images (CameraSpec.showsPusher). */
  showsPusher?: boolean;
  /** Steps recorded after each termination (rollout's tailSteps; default DEFAULT_TAIL_STEPS). */
  tailSteps?: number;
  /** Distractor level (sim/distractorLevels.ts; default 0). */
  distractors?: number;
}

export type ToWorker = { type: 'run'; index: number; seed: number } | { type: 'warm'; episodes: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'warmed' }
  | { type: 'episode'; index: number; episode: EpisodeData; touched: boolean; stepMs: number }
  | { type: 'error'; index: number; message: string; hint?: string; user: boolean; stack?: string };

function transferables(ep: EpisodeData): ArrayBuffer[] {
  const arrays = [ep.depth, ep.proprio, ep.actions, ep.state, ep.terminations, ep.truncations, ep.goal];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('collectWorker must run as a worker thread');
  const init = workerData as WorkerInit;
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  let env: Env;
  try {
    env = await Env.create({ task: await loadTask(init.task), obsSize: init.obsSize, renderDepth: init.renderDepth, showsPusher: init.showsPusher, distractors: init.distractors });
  } catch (e) {
    post(errorMessage(-1, e));
    return;
  }
  // The pool terminates the thread when it is done; the environment's wasm memory goes with it.
  port.on('message', (m: ToWorker) => {
    if (m.type === 'warm') {
      // Separate environments and fresh worlds: these leave no trace in the episodes that follow.
      exerciseSimulation(env.task, m.episodes).then(() => post({ type: 'warmed' }), (e: unknown) => post(errorMessage(-1, e)));
      return;
    }
    try {
      const t0 = performance.now();
      const r = rollout(env, m.seed, undefined, undefined, init.tailSteps);
      post({ type: 'episode', index: m.index, episode: r.episode, touched: r.touched, stepMs: performance.now() - t0 }, transferables(r.episode));
    } catch (e) {
      post(errorMessage(m.index, e));
    }
  });
  post({ type: 'ready' });
}

function errorMessage(index: number, e: unknown): FromWorker {
  if (isUserError(e)) return { type: 'error', index, message: e.message, hint: e.hint, user: true };
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: 'error', index, message: err.message, user: false, stack: err.stack };
}

await main();

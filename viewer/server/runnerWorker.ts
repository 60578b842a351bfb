// Worker-thread side of WorkerRunner: owns the sim, the planner and the model, so planning (tens
// of ms for the JEPA, far more for the simulator oracle) never blocks the server's event loop.
// Each request is answered with its result and a snapshot of everything the session reads.
import { parentPort, workerData } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isUserError } from '../../sim/errors.ts';
import { loadTask } from '../../sim/tasks/registry.ts';
import { modelKindFor, type PlannerName } from '../../agent/planners/types.ts';
import type { WorldModel } from '../../agent/worldModel.ts';
import { SimRunner } from './simRunner.ts';
import type { RunnerInit, RunnerReply, RunnerRequest, RunnerSnapshot } from './workerRunner.ts';

const port = parentPort!;
const init = workerData as RunnerInit;
const log = (line: string) => port.postMessage({ id: -1, log: line } satisfies RunnerReply);

/** The checkpoint for `task`: the given one if trained on it, else a sibling `<models>/<task>`. */
async function openModel(dir: string, task: string): Promise<WorldModel> {
  const { initBackend } = await import('../../agent/backend.ts');
  const { loadWorldModel, readCheckpointConfig } = await import('../../agent/checkpoint.ts');
  await initBackend(init.backend ?? 'auto');
  const trainedOn = readCheckpointConfig(dir).envSpec.taskId;
  const sibling = join(dirname(resolve(dir)), task);
  if (trainedOn !== task && existsSync(join(sibling, 'config.json')) && readCheckpointConfig(sibling).model.kind === readCheckpointConfig(dir).model.kind) {
    log(`viewer: using ${sibling} for task '${task}'`);
    return loadWorldModel(sibling);
  }
  if (trainedOn !== task) log(`viewer: no model for task '${task}' beside ${dir}; using the '${trainedOn}' model (outside its training distribution)`);
  return loadWorldModel(dir);
}

let runner: SimRunner | undefined;
let model: WorldModel | undefined;

function snapshot(): RunnerSnapshot {
  const r = runner!;
  return {
    describe: r.describe(), poses: r.poses(), pusher: r.pusherPosition(), goalPoses: r.goalPoses(), goalPoint: r.goalPoint(),
    depthSize: r.depthSize(), agentDepth: r.agentDepth(), goalDepth: r.goalDepth(),
  };
}

async function handle(req: RunnerRequest): Promise<RunnerReply> {
  switch (req.op) {
    case 'create': {
      const task = await loadTask(init.task);
      const planner = init.planner as PlannerName;
      if (modelKindFor(planner) && init.modelDir) model = await openModel(init.modelDir, task.id);
      runner = await SimRunner.create(task, planner, model, init.settings, init.distractors);
      return { id: req.id, ok: true, controlDt: runner.controlDt, task: task.id };
    }
    case 'reset':
      runner!.reset(req.seed);
      return { id: req.id, ok: true, snapshot: snapshot() };
    case 'advance': {
      const step = runner!.advance();
      return { id: req.id, ok: true, step, snapshot: snapshot() };
    }
    case 'setGoal':
      runner!.setGoal(req.x, req.z);
      return { id: req.id, ok: true, snapshot: snapshot() };
    case 'dispose':
      runner?.dispose();
      model?.dispose();
      runner = undefined;
      return { id: req.id, ok: true };
  }
}

// Requests are handled strictly in order (the session never has two in flight, but a goal click
// may arrive while a step is being planned; it then waits its turn).
let queue = Promise.resolve();
port.on('message', (req: RunnerRequest) => {
  queue = queue.then(async () => {
    try {
      port.postMessage(await handle(req));
    } catch (e) {
      const err = e as Error & { hint?: string };
      port.postMessage({ id: req.id, ok: false, error: err.message, hint: err.hint, user: isUserError(e), stack: err.stack } satisfies RunnerReply);
    }
  });
});

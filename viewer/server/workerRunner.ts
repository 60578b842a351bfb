// Main-thread side of the runner: an EpisodeRunner whose sim and planner live in a worker thread
// (runnerWorker.ts). Mutating calls are messages; getters read the snapshot that came back with
// the last reply, so the session's code is the same as with an in-process runner.
import { Worker } from 'node:worker_threads';
import { UserError } from '../../sim/errors.ts';
import type { BodyPose, SceneDescription, Vec3 } from '../../sim/types.ts';
import type { SearchSettings } from '../../agent/planners/modelPlanner.ts';
import type { EpisodeRunner, RunnerChoice, RunnerFactory, RunnerStep } from './episodeRunner.ts';

export interface RunnerInit {
  task: string;
  planner: string;
  modelDir?: string;
  backend?: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Planner setting overrides (plain data: it crosses into the worker). */
  settings?: Partial<SearchSettings>;
  /** Distractor level to render at; undefined = the model's level, else 0. */
  distractors?: number;
}

export type RunnerRequest =
  | { id: number; op: 'create' }
  | { id: number; op: 'reset'; seed: number }
  | { id: number; op: 'advance' }
  | { id: number; op: 'setGoal'; x: number; z: number }
  | { id: number; op: 'dispose' };

type RequestBody = RunnerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export interface RunnerSnapshot {
  describe: SceneDescription;
  poses: BodyPose[];
  pusher: Vec3;
  goalPoses: BodyPose[];
  goalPoint: [number, number] | null;
  depthSize: { width: number; height: number };
  agentDepth: Float32Array;
  goalDepth: Float32Array;
}

export type RunnerReply =
  | { id: number; ok: true; snapshot?: RunnerSnapshot; step?: RunnerStep; controlDt?: number; task?: string }
  | { id: number; ok: false; error: string; hint?: string; user: boolean; stack?: string }
  | { id: -1; log: string };

// The worker runs TypeScript: register tsx inside it first (a worker does not inherit the loader).
const TSX_API = import.meta.resolve('tsx/esm/api');
const WORKER_URL = new URL('./runnerWorker.ts', import.meta.url).href;
const BOOT = `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL)}); });`;

export class WorkerRunner implements EpisodeRunner {
  readonly concurrent = true;
  controlDt = 0.1;
  task: string;
  private snap: RunnerSnapshot | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: RunnerReply) => void; reject: (e: Error) => void }>();
  private dead: Error | null = null;

  private constructor(private readonly worker: Worker, readonly planner: string, task: string, log: (l: string) => void) {
    this.task = task;
    worker.on('message', (m: RunnerReply) => {
      if (m.id === -1) {
        log((m as { log: string }).log);
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    });
    const fail = (e: Error) => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`runner worker crashed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`runner worker exited (code ${code})`)));
  }

  static async create(choice: RunnerChoice, init: Omit<RunnerInit, 'task' | 'planner'>, log: (l: string) => void): Promise<WorkerRunner> {
    const worker = new Worker(BOOT, { eval: true, workerData: { ...init, ...choice } satisfies RunnerInit });
    const r = new WorkerRunner(worker, choice.planner, choice.task, log);
    try {
      const reply = await r.call({ op: 'create' });
      r.controlDt = reply.controlDt ?? r.controlDt;
      r.task = reply.task ?? r.task;
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return r;
  }

  private call(req: RequestBody): Promise<Extract<RunnerReply, { ok: true }>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (m) => {
          if ('ok' in m && m.ok) {
            if (m.snapshot) this.snap = m.snapshot;
            resolve(m);
          } else if ('ok' in m) {
            reject(m.user ? new UserError(m.error, m.hint) : Object.assign(new Error(m.error), { stack: m.stack }));
          }
        },
        reject,
      });
      this.worker.postMessage({ ...req, id } as RunnerRequest);
    });
  }

  private get s(): RunnerSnapshot {
    if (!this.snap) throw new Error('WorkerRunner: reset(seed) first');
    return this.snap;
  }

  async reset(seed: number): Promise<void> {
    await this.call({ op: 'reset', seed });
  }

  async advance(): Promise<RunnerStep> {
    return (await this.call({ op: 'advance' })).step!;
  }

  async setGoal(x: number, z: number): Promise<void> {
    await this.call({ op: 'setGoal', x, z });
  }

  describe(): SceneDescription { return this.s.describe; }
  poses(): BodyPose[] { return this.s.poses; }
  pusherPosition(): Vec3 { return this.s.pusher; }
  goalPoses(): BodyPose[] { return this.s.goalPoses; }
  goalPoint(): [number, number] | null { return this.s.goalPoint; }
  depthSize(): { width: number; height: number } { return this.s.depthSize; }
  agentDepth(): Float32Array { return this.s.agentDepth; }
  goalDepth(): Float32Array { return this.s.goalDepth; }

  async dispose(): Promise<void> {
    if (!this.dead) {
      try {
        await this.call({ op: 'dispose' });
      } catch {
        // Already gone: nothing to free.
      }
    }
    await this.worker.terminate();
  }
}

export function workerRunnerFactory(init: Omit<RunnerInit, 'task' | 'planner'>, log: (l: string) => void): RunnerFactory {
  return (choice) => WorkerRunner.create(choice, init, log);
}

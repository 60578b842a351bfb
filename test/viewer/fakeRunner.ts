// A scripted stand-in for the sim + planner, so the server and protocol are tested without Rapier
// or a model: the pusher walks toward the goal, the episode ends after `episodeSteps` steps.
// `extraBodies` still distractors make each frame bigger (28 bytes a body), to fill socket buffers fast.
import type { BodyPose, SceneDescription, Vec3 } from '../../sim/types.ts';
import { UserError } from '../../sim/errors.ts';
import type { EpisodeRunner, RunnerChoice, RunnerPlan, RunnerStep } from '../../viewer/server/episodeRunner.ts';

export interface FakeRunnerLog {
  resets: number[];
  steps: number;
  goals: [number, number][];
}

export function fakeFactory(log: FakeRunnerLog = { resets: [], steps: 0, goals: [] }, episodeSteps = 1000, extraBodies = 0) {
  return async (choice: RunnerChoice): Promise<EpisodeRunner> => new FakeRunner(choice, log, episodeSteps, extraBodies);
}

class FakeRunner implements EpisodeRunner {
  readonly task: string;
  readonly planner: string;
  readonly controlDt = 0.1;
  private pusher: Vec3 = [0, 0.05, 0];
  private goal: [number, number] = [0.1, 0];
  private n = 0;

  private readonly extra: number[];

  constructor(choice: RunnerChoice, private readonly log: FakeRunnerLog, private readonly episodeSteps: number, extraBodies: number) {
    this.extra = Array.from({ length: extraBodies }, (_, i) => i);
    this.task = choice.task;
    this.planner = choice.planner;
  }

  reset(seed: number): void {
    this.log.resets.push(seed);
    this.pusher = [-0.1, 0.05, (seed % 7) / 100];
    this.n = 0;
  }

  describe(): SceneDescription {
    return {
      taskId: this.task,
      bodies: [
        { id: 'table', role: 'table', shape: { kind: 'box', halfExtents: [0.5, 0.02, 0.5] }, color: '#8b6b4a' },
        { id: 'bottle', role: 'object', shape: { kind: 'cylinder', radius: 0.035, halfHeight: 0.12 }, color: '#3a8ee6' },
        { id: 'pusher', role: 'pusher', shape: { kind: 'sphere', radius: 0.01 }, color: '#e63a3a' },
        ...this.extra.map((i) => ({ id: `crate${i}`, role: 'distractor' as const, shape: { kind: 'sphere' as const, radius: 0.01 }, color: '#888888' })),
      ],
      camera: { width: 8, height: 8, position: [0, 0.6, 0.6], target: [0, 0, 0], fovDeg: 45, near: 0.1, far: 1.5 },
      actionBounds: { low: [-0.25, -0.25, 0.015], high: [0.25, 0.25, 0.2] },
    };
  }

  poses(): BodyPose[] {
    return [
      { id: 'table', position: [0, -0.02, 0], rotation: [0, 0, 0, 1] },
      { id: 'bottle', position: [0, 0.12, 0], rotation: [0, 0, 0, 1] },
      { id: 'pusher', position: [...this.pusher], rotation: [0, 0, 0, 1] },
      ...this.extra.map((i): BodyPose => ({ id: `crate${i}`, position: [0.4, 0.01, (i % 80) / 100 - 0.4], rotation: [0, 0, 0, 1] })),
    ];
  }

  pusherPosition(): Vec3 {
    return [...this.pusher];
  }

  goalPoses(): BodyPose[] {
    return [{ id: 'bottle', position: [this.goal[0], 0.12, this.goal[1]], rotation: [0, 0, 0, 1] }];
  }

  goalPoint(): [number, number] {
    return [...this.goal];
  }

  depthSize() {
    return { width: 8, height: 8 };
  }

  agentDepth(): Float32Array {
    return new Float32Array(64).map((_, i) => (i + this.n) % 64 / 64);
  }

  goalDepth(): Float32Array {
    return new Float32Array(64).fill(0.5);
  }

  advance(): RunnerStep {
    const plan = this.plan();
    const action = plan.chosen.slice(0, 3);
    return { ...this.step(action), plan, action };
  }

  private plan(): RunnerPlan {
    const dx = Math.sign(this.goal[0] - this.pusher[0]) * 0.2;
    const chosen = new Float32Array([dx, 0, 0.05, dx, 0, 0.05]);
    const elite2 = new Float32Array([dx, 0.1, 0.05, dx, 0.1, 0.05]);
    return {
      horizon: 2, chosen, chosenCost: 1, elites: [chosen, elite2], eliteCosts: [1, 2],
      eliteBottlePaths: null, chosenBottlePath: null, energy: [3, 2, 1], planningMs: 1,
    };
  }

  private step(action: Float32Array): Omit<RunnerStep, 'plan' | 'action'> {
    this.pusher = [this.pusher[0] + action[0] * this.controlDt, action[2], this.pusher[2] + action[1] * this.controlDt];
    this.n++;
    this.log.steps++;
    const done = this.n >= this.episodeSteps;
    return {
      step: this.n, done,
      outcome: { kind: done ? 'success' : 'running', success: done, reason: done ? 'scripted' : '', distance: 0 },
    };
  }

  setGoal(x: number, z: number): void {
    if (Math.abs(x) > 0.5 || Math.abs(z) > 0.5) throw new UserError(`goal (${x}, ${z}) is off the table`);
    this.goal = [x, z];
    this.log.goals.push([x, z]);
  }

  dispose(): void {}
}

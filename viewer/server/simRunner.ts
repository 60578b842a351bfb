// The real EpisodeRunner: the Rapier environment (sim/env.ts) driven by a planner from
// agent/planners through the MPC loop (agent/mpc.ts), with imagined elite paths for drawing.
import { Env } from '../../sim/env.ts';
import { deriveSeed } from '../../sim/rng.ts';
import type { TaskDefinition } from '../../sim/task.ts';
import type { BodyPose, Observation, Quat, SceneDescription, Vec3 } from '../../sim/types.ts';
import { MpcEpisode, warmUpPlanner } from '../../agent/mpc.ts';
import { createPlanner } from '../../agent/planners/factory.ts';
import type { SearchSettings } from '../../agent/planners/modelPlanner.ts';
import type { PlanResult, Planner, PlannerName } from '../../agent/planners/types.ts';
import { renderLevel } from '../../agent/plan.ts';
import type { WorldModel } from '../../agent/worldModel.ts';
import type { EpisodeRunner, RunnerPlan, RunnerStep } from './episodeRunner.ts';

const POSE_LABELS = ['x', 'y', 'z', 'qx', 'qy', 'qz', 'qw'];

/** The first object's pose from a privileged state vector, when the task's labels name one. */
function poseFromState(labels: string[], state: Float32Array): { position: Vec3; rotation: Quat } | null {
  const idx = POSE_LABELS.map((l) => labels.indexOf(l));
  if (idx.some((i) => i < 0)) return null;
  const v = idx.map((i) => state[i]);
  return { position: [v[0], v[1], v[2]], rotation: [v[3], v[4], v[5], v[6]] };
}

export class SimRunner implements EpisodeRunner {
  readonly controlDt: number;
  private episode: MpcEpisode | null = null;
  private goalObs: Observation | null = null;
  private seed = 0;

  private constructor(
    readonly task: string,
    readonly planner: PlannerName,
    private readonly env: Env,
    private readonly plannerImpl: Planner,
  ) {
    this.controlDt = env.spec.controlDt;
  }

  /** `distractors`: the level to render at (default: the model's, else 0; another than the model's is refused). */
  static async create(task: TaskDefinition, planner: PlannerName, model: WorldModel | undefined, settings?: Partial<SearchSettings>,
    distractors?: number): Promise<SimRunner> {
    const obsSize = model ? model.obsSize.width : 32;
    const env = await Env.create({ task, obsSize, showsPusher: model?.showsPusher, distractors: renderLevel(distractors, model) });
    try {
      const impl = createPlanner(planner, { env, model, settings, task });
      // The page shows each plan's time, and a fresh model planner's first plans are its slowest
      // (see warmUpPlanner). Every episode resets the env and restarts the planner by seed after.
      warmUpPlanner({ env, planner: impl, model }, deriveSeed(0, 0));
      return new SimRunner(task.id, planner, env, impl);
    } catch (e) {
      env.free();
      throw e;
    }
  }

  private get ep(): MpcEpisode {
    if (!this.episode) throw new Error('SimRunner: reset(seed) first');
    return this.episode;
  }

  reset(seed: number): void {
    this.seed = seed;
    this.episode = new MpcEpisode(this.env, this.plannerImpl, seed, deriveSeed(seed, 1), { execute: 1, imagine: true });
    this.goalObs = this.episode.goal;
  }

  describe(): SceneDescription {
    return this.env.describe();
  }

  poses(): BodyPose[] {
    return this.env.poses();
  }

  pusherPosition(): Vec3 {
    const p = this.ep.current.proprio;
    return [p[0], p[1], p[2]];
  }

  goalPoses(): BodyPose[] {
    const pose = this.goalObs ? poseFromState(this.env.spec.stateLabels, this.goalObs.state) : null;
    const object = this.env.describe().bodies.find((b) => b.role === 'object');
    return pose && object ? [{ id: object.id, ...pose }] : [];
  }

  goalPoint(): [number, number] | null {
    const labels = this.env.task.goalLabels;
    const g = this.env.goal();
    if (labels[0] === 'goal_x' && labels[1] === 'goal_z') return [g[0], g[1]];
    const ghost = this.goalPoses()[0];
    return ghost ? [ghost.position[0], ghost.position[2]] : null;
  }

  depthSize(): { width: number; height: number } {
    return this.env.spec.obsSize;
  }

  agentDepth(): Float32Array {
    return this.ep.current.depth;
  }

  goalDepth(): Float32Array {
    return this.goalObs?.depth ?? new Float32Array(this.depthSize().width * this.depthSize().height).fill(1);
  }

  advance(): RunnerStep {
    const s = this.ep.next();
    return {
      plan: s.plan ? this.toRunnerPlan(s.plan) : null,
      action: s.action,
      outcome: s.result.info.outcome,
      done: this.ep.done,
      step: s.step,
    };
  }

  private toRunnerPlan(p: PlanResult): RunnerPlan {
    const paths = p.imagined ? this.bottlePaths(p.imagined.labels, p.imagined.paths, p.horizon) : null;
    return {
      horizon: p.horizon,
      chosen: p.actions,
      chosenCost: p.energy,
      elites: p.elites,
      eliteCosts: p.eliteEnergies,
      eliteBottlePaths: paths,
      // The chosen sequence is the best elite (or the CEM mean warm-started from it).
      chosenBottlePath: paths?.[0] ?? null,
      energy: p.energyPerIteration.map((e) => e.best),
      planningMs: p.planningMs,
    };
  }

  /** Probe rows (bottle_x, bottle_z, ...) -> (x, y, z) points at the bottle's current centre height. */
  private bottlePaths(labels: string[], rows: Float32Array[], horizon: number): Float32Array[] | null {
    const xi = labels.findIndex((l) => l === 'bottle_x' || l === 'x');
    const zi = labels.findIndex((l) => l === 'bottle_z' || l === 'z');
    if (xi < 0 || zi < 0) return null;
    const pose = poseFromState(this.env.spec.stateLabels, this.ep.current.state);
    const y = pose ? pose.position[1] : 0.05;
    const k = labels.length;
    return rows.map((row) => {
      const out = new Float32Array((horizon + 1) * 3);
      for (let t = 0; t <= horizon; t++) {
        out[t * 3] = row[t * k + xi];
        out[t * 3 + 1] = y;
        out[t * 3 + 2] = row[t * k + zi];
      }
      return out;
    });
  }

  setGoal(x: number, z: number): void {
    const labels = this.env.task.goalLabels;
    let goal: number[];
    if (labels[0] === 'heading_x' && labels[1] === 'heading_z') {
      // A direction task: the click says where the top should point, seen from the bottle.
      const pose = poseFromState(this.env.spec.stateLabels, this.ep.current.state);
      goal = pose ? [x - pose.position[0], z - pose.position[2]] : [x, z];
    } else {
      goal = [x, z];
    }
    this.env.setGoal(Float32Array.from(goal));
    this.goalObs = this.env.goalObservation();
    // Re-aim the planner at the new goal; its RNG is reseeded, so the run stays reproducible.
    this.plannerImpl.begin(this.goalObs, deriveSeed(this.seed, 2));
  }

  dispose(): void {
    this.plannerImpl.dispose();
    this.env.free();
  }
}

// The model-predictive control loop: plan from the current observation, execute the first
// `execute` actions of the plan, observe, replan, until the episode terminates or is truncated.
// `MpcEpisode` advances one agent step per call (the viewer paces it with its own timers);
// `runEpisode` drives it to the end (plan and bench), with optional, awaitable callbacks.
import type { ActionBounds, Observation, Outcome, StepResult } from '../sim/types.ts';
import { ACTION_DIM, type PlanResult, type Planner, type SimulatorHandle } from './planners/types.ts';

/** The slice of sim/env.ts's Env the loop uses (structural: the real Env fits). */
export interface MpcEnv extends SimulatorHandle {
  reset(seed: number): Observation;
  goalObservation(): Observation;
  readonly spec: { actionBounds: ActionBounds; maxSteps: number };
}

export interface MpcOptions {
  /** Actions executed per replan (1 = replan every step). */
  execute?: number;
  /** Ask the planner for imagined elite paths (viewer only; benchmarks leave it off). */
  imagine?: boolean;
}

export interface MpcStep {
  /** Set on the steps where the planner ran. */
  plan?: PlanResult;
  action: Float32Array;
  result: StepResult;
  step: number;
}

export interface EpisodeResult {
  resetSeed: number;
  outcome: Outcome;
  success: boolean;
  burst: boolean;
  finalDistance: number;
  steps: number;
  /** Wall-clock ms of each plan() call (one per replan). */
  planningMs: number[];
  totalMs: number;
}

export class MpcEpisode {
  readonly goal: Observation;
  private observation: Observation;
  /** The observation before `observation` (undefined right after reset: everything is at rest). */
  private previous: Observation | undefined;
  private queue: Float32Array[] = [];
  private finished = false;
  private stepIndex = 0;
  private readonly execute: number;
  readonly planningMs: number[] = [];

  /** Resets `env` with `resetSeed` (start and goal) and starts `planner` on the goal observation. */
  constructor(private readonly env: MpcEnv, private readonly planner: Planner, readonly resetSeed: number,
    plannerSeed: number, private readonly options: MpcOptions = {}) {
    this.execute = Math.max(1, Math.floor(options.execute ?? 1));
    this.observation = env.reset(resetSeed);
    this.goal = env.goalObservation();
    planner.begin(this.goal, plannerSeed);
  }

  get done(): boolean {
    return this.finished;
  }

  get current(): Observation {
    return this.observation;
  }

  /** One agent step: replan if the queued actions are used up, then execute one action. */
  next(): MpcStep {
    if (this.finished) throw new Error('MpcEpisode.next() after the episode ended');
    let plan: PlanResult | undefined;
    if (this.queue.length === 0) {
      plan = this.planner.plan(this.observation, { imagine: this.options.imagine, previous: this.previous });
      this.planningMs.push(plan.planningMs);
      const n = Math.min(this.execute, plan.horizon);
      for (let t = 0; t < n; t++) this.queue.push(plan.actions.slice(t * ACTION_DIM, (t + 1) * ACTION_DIM));
      this.planner.advance(n);
    }
    const action = this.queue.shift()!;
    const result = this.env.step(action);
    this.previous = this.observation;
    this.observation = result.observation;
    this.stepIndex += 1;
    // The cap guards against an environment that forgets to truncate.
    if (result.terminated || result.truncated || this.stepIndex >= this.env.spec.maxSteps) this.finished = true;
    return { plan, action, result, step: this.stepIndex };
  }

  summary(totalMs: number): EpisodeResult {
    const outcome = this.env.outcome();
    return {
      resetSeed: this.resetSeed, outcome, success: outcome.success, burst: outcome.kind === 'burst',
      finalDistance: outcome.distance, steps: this.stepIndex, planningMs: [...this.planningMs], totalMs,
    };
  }
}

export interface MpcCallbacks {
  onStart?(episode: MpcEpisode): void | Promise<void>;
  onStep?(step: MpcStep, episode: MpcEpisode): void | Promise<void>;
  /** Polled before every step: return true to stop early (the result then reflects where it stopped). */
  shouldStop?(): boolean;
}

export async function runEpisode(env: MpcEnv, planner: Planner, resetSeed: number, plannerSeed: number,
  options: MpcOptions = {}, callbacks: MpcCallbacks = {}): Promise<EpisodeResult> {
  const start = performance.now();
  const episode = new MpcEpisode(env, planner, resetSeed, plannerSeed, options);
  await callbacks.onStart?.(episode);
  while (!episode.done && !callbacks.shouldStop?.()) {
    const step = episode.next();
    await callbacks.onStep?.(step, episode);
  }
  return episode.summary(performance.now() - start);
}

/** The same loop without promises, for hot benchmark paths and tests. */
export function runEpisodeSync(env: MpcEnv, planner: Planner, resetSeed: number, plannerSeed: number,
  options: MpcOptions = {}): EpisodeResult {
  const start = performance.now();
  const episode = new MpcEpisode(env, planner, resetSeed, plannerSeed, options);
  while (!episode.done) episode.next();
  return episode.summary(performance.now() - start);
}

/**
 * A few throwaway plans with a freshly built model planner, so that the timed episodes (or the
 * viewer's first plans) do not pay for the first calls: tfjs compiles and caches its wasm kernels
 * and V8 optimizes the planner's loops on first use (a bench cell's first episode planned at
 * 129 ms per step against 35-70 ms for the rest).
 * The planner is restarted with every episode's own seed afterwards and the env is reset by seed,
 * so the results do not change.
 */
export function warmUpPlanner(rig: { env: MpcEnv; planner: Planner; model?: unknown }, resetSeed: number, plans = 3): void {
  if (!rig.model) return; // random and the oracle run no tfjs
  const observation = rig.env.reset(resetSeed);
  rig.planner.begin(rig.env.goalObservation(), 0);
  for (let k = 0; k < plans; k++) {
    rig.planner.plan(observation);
    rig.planner.advance(1);
  }
}

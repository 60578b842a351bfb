// What the viewer session needs from "an agent acting in a sim": a small interface so the session
// (pacing, streaming, commands) is independent of how plans are made. The real implementation
// (simRunner.ts) wires sim/env.ts and agent/planners; tests pass a scripted stand-in.
import type { BodyPose, Outcome, SceneDescription, Vec3 } from '../../sim/types.ts';

export interface RunnerPlan {
  horizon: number;
  /** The chosen sequence, horizon * 3. */
  chosen: Float32Array;
  chosenCost: number;
  /** Elite sequences (best first), horizon * 3 each, with their costs. */
  elites: Float32Array[];
  eliteCosts: number[];
  /**
   * Imagined bottle positions (x, y, z) * (horizon + 1) per elite, read from predicted latents by
   * the model's probe; null when the planner has no model.
   */
  eliteBottlePaths: (Float32Array | null)[] | null;
  chosenBottlePath: Float32Array | null;
  /** Best energy after each planner iteration. */
  energy: number[];
  planningMs: number;
}

export interface RunnerStep {
  /** Set on the steps where the planner ran (every step when executing one action per plan). */
  plan: RunnerPlan | null;
  action: Float32Array;
  outcome: Outcome;
  done: boolean;
  step: number;
}

/**
 * The mutating calls may be asynchronous: the real runner lives in a worker thread so planning
 * never blocks the server's event loop (frames keep flowing while the agent thinks). Getters are
 * synchronous and describe the state after the last completed call.
 */
export interface EpisodeRunner {
  readonly task: string;
  readonly planner: string;
  /**
   * True if advance() runs elsewhere (a worker) so the session may plan the next step while the
   * current one plays back. In-process runners would block the stream instead, so they do not.
   */
  readonly concurrent?: boolean;
  /** Agent step length (s): one action is held this long. */
  readonly controlDt: number;
  reset(seed: number): void | Promise<void>;
  describe(): SceneDescription;
  poses(): BodyPose[];
  pusherPosition(): Vec3;
  goalPoses(): BodyPose[];
  goalPoint(): [number, number] | null;
  depthSize(): { width: number; height: number };
  agentDepth(): Float32Array;
  goalDepth(): Float32Array;
  /** Plan if needed and execute one action (planning blocks for its duration). */
  advance(): RunnerStep | Promise<RunnerStep>;
  /** A click on the table at (x, z): set a new goal (throws UserError if the task rejects it). */
  setGoal(x: number, z: number): void | Promise<void>;
  dispose(): void | Promise<void>;
}

export interface RunnerChoice {
  task: string;
  planner: string;
}

export type RunnerFactory = (choice: RunnerChoice) => Promise<EpisodeRunner>;

/** Integrate a pusher path from an action sequence: p' = p + v * dt horizontally, y = height. */
export function integratePusherPath(start: Vec3, actions: Float32Array, dt: number): number[] {
  const out = [start[0], start[1], start[2]];
  let x = start[0];
  let z = start[2];
  for (let i = 0; i + 2 < actions.length; i += 3) {
    x += actions[i] * dt;
    z += actions[i + 1] * dt;
    out.push(x, actions[i + 2], z);
  }
  return out;
}

/** Bodies below this height (m) are parked out of the world (inactive distractors wait at y = -10). */
const PARKED_BELOW = -1;

/** Blend two pose lists (same body order) at fraction t: lerp positions, nlerp rotations. */
export function interpolatePoses(a: Float32Array, b: Float32Array, t: number, out: Float32Array): Float32Array {
  if (a.length !== b.length) {
    out.set(b);
    return out;
  }
  for (let i = 0; i < a.length; i += 7) {
    // A distractor dropping in from, or vanishing to, its parking place far below the table
    // jumps rather than glide through the table.
    if (a[i + 1] < PARKED_BELOW || b[i + 1] < PARKED_BELOW) {
      for (let k = 0; k < 7; k++) out[i + k] = b[i + k];
      continue;
    }
    for (let k = 0; k < 3; k++) out[i + k] = a[i + k] + (b[i + k] - a[i + k]) * t;
    // Quaternions q and -q are the same rotation; blend along the shorter arc.
    let dot = 0;
    for (let k = 3; k < 7; k++) dot += a[i + k] * b[i + k];
    const sign = dot < 0 ? -1 : 1;
    let norm = 0;
    for (let k = 3; k < 7; k++) {
      const q = a[i + k] + (sign * b[i + k] - a[i + k]) * t;
      out[i + k] = q;
      norm += q * q;
    }
    norm = Math.sqrt(norm) || 1;
    for (let k = 3; k < 7; k++) out[i + k] /= norm;
  }
  return out;
}

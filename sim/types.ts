// The public contracts of sim/: what agent/ and viewer/ may rely on. Keep these stable.
// Frame: Y is up, the table top is the plane y = 0, x and z span the table. Units: metres,
// seconds, kilograms, newtons.

/**
 * An action a = (vx, vz, height): the pusher's horizontal velocity along x and z (m/s) and the
 * height of the pusher's centre above the table top (m). Held for one agent step (0.1 s).
 */
export type Action = ArrayLike<number>;

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number]; // x, y, z, w

export interface ActionBounds {
  low: Vec3;
  high: Vec3;
}

/** What an agent sees. `state` is privileged: for probes, the oracle and evaluation only. */
export interface Observation {
  /** Depth image, row-major H*W, 0 = near plane, 1 = far plane (or nothing hit). */
  depth: Float32Array;
  /** Pusher centre position (x, y, z) in metres. */
  proprio: Float32Array;
  /** Privileged object state; layout named by the task's `stateLabels`. Never read by the planner. */
  state: Float32Array;
}

export interface CameraSpec {
  width: number;
  height: number;
  position: Vec3;
  target: Vec3;
  /** Vertical field of view, degrees. */
  fovDeg: number;
  /** Distances (m) mapped to depth 0 and 1. */
  near: number;
  far: number;
  /**
   * Whether the pusher shows in the agent's depth images. Default false: the camera sees the
   * task's objects and the agent knows its own body from proprio (as robot learning often masks
   * the arm out of its images). The goal image never shows it, so with the pusher in view the
   * learned latent distance to the goal followed the pusher rather than the bottle. Absent in
   * datasets and checkpoints written before the option existed, which showed it.
   */
  showsPusher?: boolean;
}

export type OutcomeKind = 'running' | 'success' | 'burst' | 'failure' | 'timeout';

export interface Outcome {
  kind: OutcomeKind;
  success: boolean;
  /** Human-readable reason, e.g. "bottle burst: contact force 41.2 N > 25 N". */
  reason: string;
  /** The task's own distance to success (m for slide, rad of heading for tip, ...). */
  distance: number;
}

export interface StepInfo {
  outcome: Outcome;
  step: number;
  burst: boolean;
  /** Did the pusher touch any task object during this step. */
  contact: boolean;
  /** Largest contact force magnitude (N) on a task object during this step. */
  maxContactForce: number;
  /** True if the action had NaN-free out-of-bounds components that were clipped to the bounds. */
  clipped: boolean;
}

export interface StepResult {
  observation: Observation;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

/** A body's pose for the viewer (and any renderer): which mesh, where, how rotated. */
export interface BodyPose {
  id: string;
  position: Vec3;
  rotation: Quat;
}

export type ShapeDescription =
  | { kind: 'box'; halfExtents: Vec3 }
  | { kind: 'cylinder'; radius: number; halfHeight: number }
  | { kind: 'sphere'; radius: number };

/** Everything a renderer needs to build meshes once; poses then arrive per frame. */
export interface SceneDescription {
  taskId: string;
  bodies: { id: string; role: 'table' | 'pusher' | 'object' | 'fragment' | 'distractor'; shape: ShapeDescription; color: string }[];
  camera: CameraSpec;
  actionBounds: ActionBounds;
}

/** Static facts about an environment, recorded in datasets and checkpoints. */
export interface EnvSpec {
  /** The task's id; for a model trained on several tasks' datasets, their ids joined by '+'. */
  taskId: string;
  /** Only in a model's merged spec (agent/trainSources.ts): the tasks of the datasets it learned from. */
  taskIds?: string[];
  obsSize: { width: number; height: number };
  camera: CameraSpec;
  actionBounds: ActionBounds;
  maxSteps: number;
  /** Agent step length (s) and physics sub-steps per agent step. */
  controlDt: number;
  substeps: number;
  stateLabels: string[];
  proprioDim: 3;
  /** The task's failureDependsOnGoal (absent in datasets recorded before it was stored). */
  failureDependsOnGoal?: boolean;
  /** Distractor level of the scene (sim/distractorLevels.ts; absent in files written before it existed: 0). */
  distractors?: number;
}

/** One recorded episode, flat arrays, T = number of actions. */
export interface EpisodeData {
  seed: number;
  /** (T+1) * H * W */
  depth: Float32Array;
  /** (T+1) * 3 */
  proprio: Float32Array;
  /** T * 3 */
  actions: Float32Array;
  /** (T+1) * S */
  state: Float32Array;
  /** T, 1 where the episode terminated after that action */
  terminations: Uint8Array;
  /** T, 1 where the episode was truncated after that action */
  truncations: Uint8Array;
  /** Goal vector of the task for this episode. */
  goal: Float32Array;
  outcome: Outcome;
  /** What the exploration produced: 'slid' | 'tipped' | 'burst' | 'no-contact'. */
  behaviour: string;
  /** Transitions recorded (T), the tail included. */
  length: number;
  /**
   * How many of the last transitions come after the task ended (Env.runOn): the world going on,
   * judged no more. The task ended after transition length - tail - 1. Absent: 0.
   */
  tail?: number;
}

/** A training window of k actions and k+1 observations, from one episode. */
export interface TrainingWindow {
  episode: number;
  start: number;
  /** (k+1) * H * W */
  depth: Float32Array;
  /** (k+1) * 3 */
  proprio: Float32Array;
  /** k * 3 */
  actions: Float32Array;
  /** (k+1) * S */
  state: Float32Array;
}

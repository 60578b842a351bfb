// The Gymnasium-like environment: reset(seed) -> observation, step(action) -> observation,
// terminated, truncated, info. One agent step holds the pusher's horizontal velocity for 0.1 s
// (6 physics steps of 1/60 s) while its height eases to the commanded one.
import { burstObject, drainPusherForces } from './burst.ts';
import { DepthCamera, defaultCameraSpec, type ExtraBodies } from './depthCamera.ts';
import { distractorLevel, type DistractorLevel } from './distractorLevels.ts';
import { DistractorWorld, type DistractorSnapshot } from './distractors.ts';
import { UserError } from './errors.ts';
import { Rng, deriveSeed } from './rng.ts';
import { clipAction } from './actionClip.ts';
import { episodeStreams } from './episodeStreams.ts';
import { CONTROL_DT, PHYSICS_DT, SUBSTEPS, Scene, WORKSPACE_HALF, initRapier } from './scene.ts';
import type { BodySpec, BodyState, SceneBody } from './scene.ts';
import { applySensorNoise } from './sensorNoise.ts';
import { checkGoalShape } from './task.ts';
import type { TaskDefinition } from './task.ts';
import type { Action, BodyPose, EnvSpec, Observation, Outcome, SceneDescription, StepResult, Vec3 } from './types.ts';

export interface EnvOptions {
  task: TaskDefinition;
  /** Depth image width and height in pixels (default 32). */
  obsSize?: number;
  /** Render depth images (default true). Off, observations carry an empty depth array. */
  renderDepth?: boolean;
  /** Show the pusher in the depth images (default false; see CameraSpec.showsPusher). */
  showsPusher?: boolean;
  /** Distractor level (default 0, the plain scene; sim/distractorLevels.ts, docs/distractors.md). */
  distractors?: number;
}

/** Everything needed to put the episode back where it was (used by the oracle planner). */
export interface EnvSnapshot {
  seed: number;
  stepCount: number;
  goal: Float32Array;
  burst: boolean;
  burstForce: number;
  outcome: Outcome;
  done: boolean;
  runningOn: boolean;
  pusher: Vec3;
  bodies: { spec: BodySpec; state: BodyState }[];
  removed: [string, BodyState][];
  /** The distractor world (absent at level 0 or without rendering). */
  distractors?: DistractorSnapshot;
}

const RUNNING: Outcome = { kind: 'running', success: false, reason: '', distance: Number.NaN };
/** How near (m) the pusher must come to an object's bounding sphere to keep it awake (see Scene.wakeObjectsNear). */
const WAKE_MARGIN = 0.02;
/** The goal photo is taken "at another time": its distractors run this many agent steps (at most) from their own layout. */
const GOAL_DISTRACTOR_STEPS = 25;

function smoothstep(s: number): number {
  return s * s * (3 - 2 * s);
}

export class Env {
  readonly spec: EnvSpec;
  readonly task: TaskDefinition;
  private readonly camera: DepthCamera;
  private readonly renderDepth: boolean;
  private readonly level: DistractorLevel;
  private scene: Scene | null = null;
  /** The distractors' own world; null at level 0 and without rendering (nothing would see it). */
  private distractors: DistractorWorld | null = null;
  private noiseSeed = 0;
  private seed = 0;
  private steps = 0;
  private goalVec: Float32Array = new Float32Array(0);
  private current: Outcome = RUNNING;
  private done = false;
  /** Set by runOn(): the episode has ended, and the world goes on without judging it again. */
  private runningOn = false;
  private goalCache: { depth: Float32Array; state: Float32Array } | null = null;

  static async create(opts: EnvOptions): Promise<Env> {
    await initRapier();
    return new Env(opts);
  }

  private constructor(opts: EnvOptions) {
    const size = opts.obsSize ?? 32;
    if (!Number.isInteger(size) || size < 4 || size > 512) {
      throw new UserError(`observation size must be an integer from 4 to 512, got ${size}`, 'use e.g. --obs-size 32');
    }
    this.task = opts.task;
    this.renderDepth = opts.renderDepth ?? true;
    this.level = distractorLevel(opts.distractors ?? 0, 'distractor level (--distractors)');
    this.camera = new DepthCamera(defaultCameraSpec(size, opts.showsPusher ?? false));
    this.spec = {
      taskId: this.task.id,
      obsSize: { width: size, height: size },
      camera: this.camera.spec,
      actionBounds: this.task.actionBounds,
      maxSteps: this.task.maxSteps,
      controlDt: CONTROL_DT,
      substeps: SUBSTEPS,
      stateLabels: this.task.stateLabels,
      proprioDim: 3,
      failureDependsOnGoal: this.task.failureDependsOnGoal ?? false,
      distractors: this.level.level,
    };
  }

  get stepCount(): number {
    return this.steps;
  }

  private live(): Scene {
    if (!this.scene) throw new Error('Env: call reset(seed) before using the environment');
    return this.scene;
  }

  /** A fresh world per episode: the same seed gives a bit-identical episode whatever came before. */
  reset(seed: number): Observation {
    if (!Number.isFinite(seed)) throw new UserError(`reset seed must be a finite number, got ${seed}`, 'pass an integer seed');
    this.scene?.free();
    const scene = new Scene();
    this.scene = scene;
    this.seed = seed;
    const streams = episodeStreams(seed);
    this.task.build(scene);
    this.task.randomize(scene, streams.start);
    this.goalVec = this.task.sampleGoal(scene, streams.goal);
    scene.setPusherPosition(this.task.pusherStart(scene, this.goalVec, streams.start));
    scene.syncColliders();
    this.distractors?.free();
    this.distractors = this.hasDistractors ? DistractorWorld.create(this.level, streams.layout, streams.process) : null;
    this.noiseSeed = streams.noise;
    this.steps = 0;
    this.done = false;
    this.runningOn = false;
    this.goalCache = null;
    this.current = this.task.evaluate(scene, this.goalVec);
    return this.observe();
  }

  step(action: Action): StepResult {
    const scene = this.live();
    if (this.done && !this.runningOn) {
      throw new UserError(`episode is over (${this.current.kind}: ${this.current.reason}); reset it before stepping`, 'call reset(seed) to start another episode');
    }
    const { a, clipped } = clipAction(action, this.task.actionBounds, `step ${this.steps}, task '${this.task.id}'`);
    const [x0, y0, z0] = scene.pusherPosition();
    const clamp = (v: number): number => (v < -WORKSPACE_HALF ? -WORKSPACE_HALF : v > WORKSPACE_HALF ? WORKSPACE_HALF : v);
    let contact = false;
    let maxForce = 0;
    const distractors = this.distractors;
    distractors?.beginStep(this.steps);
    for (let k = 1; k <= SUBSTEPS; k++) {
      const t = k * PHYSICS_DT;
      const next = { x: clamp(x0 + a[0] * t), y: y0 + (a[2] - y0) * smoothstep(k / SUBSTEPS), z: clamp(z0 + a[1] * t) };
      scene.pusher.body.setNextKinematicTranslation(next);
      // Every sub-step: a slow push stays under Rapier's sleep threshold and would doze off mid-push.
      scene.wakeObjectsNear([next.x, next.y, next.z], WAKE_MARGIN);
      scene.step();
      distractors?.substep();
      for (const [id, f] of drainPusherForces(scene)) {
        contact = true;
        if (f > maxForce) maxForce = f;
        if (!scene.burst && f > this.task.burstThreshold) {
          scene.burst = true;
          scene.burstForce = f;
          burstObject(scene, id, new Rng(deriveSeed(this.seed, this.steps)));
        }
      }
    }
    this.steps++;
    if (this.runningOn) {
      // The task was judged when it ended; what follows is physics only.
      return {
        observation: this.observe(), terminated: false, truncated: false,
        info: { outcome: this.current, step: this.steps, burst: scene.burst, contact, maxContactForce: maxForce, clipped },
      };
    }
    let outcome = this.task.evaluate(scene, this.goalVec);
    if (scene.burst) {
      outcome = {
        kind: 'burst',
        success: false,
        reason: `bottle burst: contact force ${scene.burstForce.toFixed(1)} N > threshold ${this.task.burstThreshold} N`,
        distance: outcome.distance,
      };
    }
    const terminated = outcome.kind !== 'running';
    const truncated = !terminated && this.steps >= this.task.maxSteps;
    if (truncated) outcome = { kind: 'timeout', success: false, reason: `no success within ${this.task.maxSteps} steps`, distance: outcome.distance };
    this.current = outcome;
    this.done = terminated || truncated;
    return {
      observation: this.observe(),
      terminated,
      truncated,
      info: { outcome, step: this.steps, burst: scene.burst, contact, maxContactForce: maxForce, clipped },
    };
  }

  observe(): Observation {
    const scene = this.live();
    return {
      depth: this.renderDepth ? this.withNoise(this.camera.render(scene, {}, undefined, this.distractorView), deriveSeed(this.noiseSeed, this.steps)) : new Float32Array(0),
      proprio: Float32Array.from(scene.pusherPosition()),
      state: this.task.state(scene),
    };
  }

  private get hasDistractors(): boolean {
    return this.level.level > 0 && this.renderDepth;
  }

  private withNoise(depth: Float32Array, seed: number): Float32Array {
    return this.level.noise ? applySensorNoise(depth, this.level.noise, seed) : depth;
  }

  /** The distractor bodies the camera sees now (undefined at level 0), e.g. for a brute-force reference render. */
  get distractorView(): ExtraBodies | undefined {
    return this.distractors ? { world: this.distractors.world, bodies: this.distractors.visibleBodies() } : undefined;
  }

  goal(): Float32Array {
    return Float32Array.from(this.goalVec);
  }

  setGoal(goal: Float32Array): void {
    const scene = this.live();
    if (goal == null || typeof goal.length !== 'number' || !Array.from(goal).every((v) => Number.isFinite(v))) {
      throw new UserError(`goal for task '${this.task.id}' must be finite numbers, got ${goal == null ? goal : `[${Array.from(goal).join(', ')}]`}`, `pass ${this.task.goalLabels.join(', ')}`);
    }
    // A task's own check may accept other shapes (tip takes a bare heading); else the length must match.
    this.goalVec = this.task.validateGoal ? this.task.validateGoal(Float32Array.from(goal), scene) : checkGoalShape(this.task, goal);
    this.goalCache = null;
    if (!this.done) this.current = this.task.evaluate(scene, this.goalVec);
  }

  /**
   * The task's objects posed at the goal, rendered without the pusher (the goal is about the
   * objects). Rendered in a separate scratch world, so the live scene is never touched. proprio
   * is the live pusher position, so it adds nothing to a distance between observation and goal.
   * With distractors the goal photo is taken at another time: its distractors are laid out from
   * their own stream and run a few steps of their own, and its sensor noise has its own seed.
   */
  goalObservation(): Observation {
    const scene = this.live();
    if (!this.goalCache) {
      const g = new Scene();
      let d: DistractorWorld | null = null;
      try {
        this.task.build(g);
        this.task.placeAtGoal(g, this.goalVec);
        g.syncColliders();
        let depth: Float32Array = new Float32Array(0);
        if (this.renderDepth) {
          const streams = episodeStreams(this.seed);
          if (this.hasDistractors) {
            d = DistractorWorld.create(this.level, streams.goalLayout, streams.goalProcess);
            const steps = streams.goalLayout.int(0, GOAL_DISTRACTOR_STEPS + 1);
            for (let t = 0; t < steps; t++) {
              d.beginStep(t);
              for (let k = 0; k < SUBSTEPS; k++) d.substep();
            }
          }
          const extra = d ? { world: d.world, bodies: d.visibleBodies() } : undefined;
          depth = this.withNoise(this.camera.render(g, { hidePusher: true }, undefined, extra), streams.goalNoise);
        }
        this.goalCache = { depth, state: this.task.state(g) };
      } finally {
        d?.free();
        g.free();
      }
    }
    return {
      depth: Float32Array.from(this.goalCache.depth),
      proprio: Float32Array.from(scene.pusherPosition()),
      state: Float32Array.from(this.goalCache.state),
    };
  }

  outcome(): Outcome {
    return this.current;
  }

  /**
   * Let an ended episode go on: step() keeps simulating (pushes, falls, bursts) but no longer
   * judges the task, terminates or truncates, and the outcome stays the one it ended with.
   * `collect` records a few such steps after every termination, so a model sees what follows
   * an end (a toppling bottle coming to rest on its side) as well as what leads to it.
   */
  runOn(): void {
    if (!this.done) throw new Error('Env.runOn() is for an episode that has ended');
    this.runningOn = true;
  }

  /** True once the episode terminated or was truncated. */
  get isDone(): boolean {
    return this.done;
  }

  /**
   * Captures the episode. Rapier keeps contact caches (warm-start impulses) that a pose-only
   * restore cannot bring back, so snapshot() also re-seats the live scene in a fresh world built
   * from the same poses and velocities; restore() builds the identical fresh world, so the steps
   * after a restore replay the steps after the snapshot exactly. (A continuation after
   * snapshot() can therefore differ at the ~1e-3 level from one where none was taken.)
   * World.restoreSnapshot is not used: it leaks wasm memory on every call.
   */
  snapshot(): EnvSnapshot {
    const scene = this.live();
    const s: EnvSnapshot = {
      seed: this.seed,
      stepCount: this.steps,
      goal: Float32Array.from(this.goalVec),
      burst: scene.burst,
      burstForce: scene.burstForce,
      outcome: this.current,
      done: this.done,
      runningOn: this.runningOn,
      pusher: scene.pusherPosition(),
      bodies: scene.bodies().map((b) => ({ spec: b.spec, state: scene.bodyState(b) })),
      removed: [...scene.removed.entries()],
      ...(this.distractors ? { distractors: this.distractors.snapshot() } : {}),
    };
    this.seat(s);
    return s;
  }

  restore(s: EnvSnapshot): void {
    this.live();
    this.seed = s.seed;
    this.seat(s);
    this.noiseSeed = episodeStreams(s.seed).noise;
    this.steps = s.stepCount;
    if (this.goalVec.length !== s.goal.length || this.goalVec.some((v, i) => v !== s.goal[i])) this.goalCache = null;
    this.goalVec = Float32Array.from(s.goal);
    this.current = s.outcome;
    this.done = s.done;
    this.runningOn = s.runningOn;
  }

  /** Replace the live scene (and the distractor world) by fresh worlds holding the snapshot's bodies and pusher. */
  private seat(s: EnvSnapshot): void {
    const fresh = new Scene();
    for (const b of s.bodies) fresh.addBody(b.spec, b.state);
    for (const [id, st] of s.removed) fresh.removed.set(id, st);
    fresh.setPusherPosition(s.pusher);
    fresh.syncColliders();
    fresh.burst = s.burst;
    fresh.burstForce = s.burstForce;
    this.scene?.free();
    this.scene = fresh;
    this.distractors?.free();
    this.distractors = s.distractors && this.hasDistractors ? DistractorWorld.fromSnapshot(this.level, episodeStreams(s.seed).process, s.distractors) : null;
  }

  /** Table, pusher, the task's bodies, then every distractor (parked ones too, far below the table). */
  private listed(): SceneBody[] {
    const scene = this.live();
    return [scene.table, scene.pusher, ...scene.bodies(), ...(this.distractors?.bodies() ?? [])];
  }

  poses(): BodyPose[] {
    return this.listed().map((b) => {
      const t = b.body.translation();
      const r = b.body.rotation();
      return { id: b.spec.id, position: [t.x, t.y, t.z], rotation: [r.x, r.y, r.z, r.w] };
    });
  }

  describe(): SceneDescription {
    return {
      taskId: this.task.id,
      bodies: this.listed().map((b) => ({ id: b.spec.id, role: b.spec.role, shape: b.spec.shape, color: b.spec.color })),
      camera: this.camera.spec,
      actionBounds: this.task.actionBounds,
    };
  }

  /** The live scene, for tests and benchmarks that need the world itself. */
  get physics(): Scene {
    return this.live();
  }

  /** Depth camera (e.g. for the brute-force reference render in tests). */
  get depthCamera(): DepthCamera {
    return this.camera;
  }

  /** The distractor world (null at level 0), for tests that check what it can touch. */
  get distractorWorld(): DistractorWorld | null {
    return this.distractors;
  }

  free(): void {
    this.scene?.free();
    this.scene = null;
    this.distractors?.free();
    this.distractors = null;
    this.camera.free();
  }
}

// One shared live session: runs MPC episodes back to back, paces them in real time and streams
// them to every connected page. Planning blocks the event loop for a few tens of ms per step; the
// 0.1 s of physics that follows is replayed as interpolated frames by a timer, so frames keep
// flowing between plans. The session never awaits a client: the sink drops what a slow one cannot take.
import { deriveSeed } from '../../sim/rng.ts';
import { isUserError } from '../../sim/errors.ts';
import {
  PROTOCOL_VERSION, depthToGray, posesToFloats,
  type ClientCommand, type MetricsMessage, type PlanMessage, type SceneMessage, type ServerMessage, type Tally,
} from './protocol.ts';
import type { EpisodeRunner, RunnerFactory, RunnerStep } from './episodeRunner.ts';
import { FramePlayer } from './framePlayer.ts';
import type { SceneDescription, Vec3 } from '../../sim/types.ts';
import { planMessage } from './planMessage.ts';

export interface SessionSink {
  hasClients(): boolean;
  /** `droppable` messages (plans, metrics) are skipped for a client that is behind. */
  broadcast(msg: ServerMessage, droppable: boolean): void;
  broadcastFrame(frame: ArrayBuffer): void;
}

export interface SessionOptions {
  task: string;
  planner: string;
  tasks: string[];
  planners: string[];
  seed: number;
  /** Frames per second of the pose stream. */
  frameHz?: number;
  /** Pause after an episode ends before the next begins (s, at speed 1). */
  holdSeconds?: number;
  log?: (line: string) => void;
}

/** The state right after an agent step (or a reset), as the next step's "before". */
interface Captured {
  result: RunnerStep;
  poses: Float32Array;
  pusher: Vec3;
  depth: Float32Array;
  /** The body list the poses are in (frames and scene messages must agree on it). */
  scene: SceneDescription;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export class Session {
  private runner!: EpisodeRunner;
  private readonly tally: Tally = { episodes: 0, success: 0, burst: 0, timeout: 0, failure: 0 };
  private episode = 0;
  private seed = 0;
  private paused = false;
  private speed = 1;
  private stepsRequested = 0;
  private pendingReset: { seed?: number } | null = null;
  /**
   * The episode has ended and its hold is over: the next one starts when the session runs (not
   * paused) or is stepped. Paused, it stays on the finished episode, so a page that pauses at an
   * episode's end still sees that end.
   */
  private episodeOver = false;
  private pendingSwitch: { task: string; planner: string } | null = null;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private lastPlan: PlanMessage | null = null;
  private lastMetrics: MetricsMessage | null = null;
  private wake: (() => void) | null = null;
  /** Bumped by every reset and runner switch, so in-flight steps of the old episode are dropped. */
  private generation = 0;
  private prefetch: Promise<Captured> | null = null;
  private prev: Omit<Captured, 'result'> | null = null;

  private readonly player: FramePlayer;

  constructor(private readonly factory: RunnerFactory, private readonly sink: SessionSink, private readonly opts: SessionOptions) {
    this.player = new FramePlayer(sink, opts.frameHz ?? 60);
  }

  async start(): Promise<void> {
    this.runner = await this.factory({ task: this.opts.task, planner: this.opts.planner });
    await this.resetEpisode(deriveSeed(this.opts.seed, 0));
    this.player.start();
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.player.stop();
    this.wake?.();
    await this.loopDone;
    await this.runner?.dispose();
  }

  /** The messages a newly connected page needs to draw the current state at once. */
  welcome(): ServerMessage[] {
    const out: ServerMessage[] = [this.sceneMessage()];
    if (this.lastPlan) out.push(this.lastPlan);
    if (this.lastMetrics) out.push(this.lastMetrics);
    return out;
  }

  /**
   * Apply a validated command. On success every page gets the new status (so all viewers agree)
   * and null is returned; on failure the error is returned for the sender alone.
   */
  async handle(cmd: ClientCommand): Promise<ServerMessage | null> {
    switch (cmd.type) {
      case 'newEpisode':
        this.pendingReset = { seed: cmd.seed };
        break;
      case 'setGoal':
        try {
          await this.runner.setGoal(cmd.x, cmd.z);
        } catch (e) {
          return this.error(isUserError(e) ? `goal rejected: ${e.message}` : `goal rejected: ${String(e)}`);
        }
        this.lastPlan = null;
        this.sink.broadcast(this.sceneMessage(), false);
        break;
      case 'setTask':
        if (!this.opts.tasks.includes(cmd.task)) return this.error(`unknown task '${cmd.task}'; available: ${this.opts.tasks.join(', ')}`);
        this.pendingSwitch = { task: cmd.task, planner: this.pendingSwitch?.planner ?? this.runner.planner };
        break;
      case 'setPlanner':
        if (!this.opts.planners.includes(cmd.planner)) {
          return this.error(`planner '${cmd.planner}' is not available here; available: ${this.opts.planners.join(', ')}` +
            (cmd.planner.startsWith('jepa') || cmd.planner.startsWith('generative') ? ' (model planners need serve --model <dir>)' : ''));
        }
        this.pendingSwitch = { task: this.pendingSwitch?.task ?? this.runner.task, planner: cmd.planner };
        break;
      case 'pause':
        this.paused = true;
        break;
      case 'resume':
        this.paused = false;
        break;
      case 'step':
        this.paused = true;
        this.stepsRequested++;
        break;
      case 'speed':
        this.speed = cmd.factor;
        break;
    }
    this.wake?.();
    this.sink.broadcast(this.status(), false);
    return null;
  }

  private status(): ServerMessage {
    const task = this.pendingSwitch?.task ?? this.runner.task;
    const planner = this.pendingSwitch?.planner ?? this.runner.planner;
    return { v: PROTOCOL_VERSION, type: 'status', paused: this.paused, speed: this.speed, task, planner };
  }

  private error(message: string): ServerMessage {
    return { v: PROTOCOL_VERSION, type: 'error', message };
  }

  private sceneMessage(): SceneMessage {
    const r = this.runner;
    const size = r.depthSize();
    return {
      v: PROTOCOL_VERSION, type: 'scene', epoch: this.player.epoch, episode: this.episode, seed: this.seed,
      // The body list of the poses being played (a prefetched step may already have changed it).
      task: r.task, planner: r.planner, scene: this.prev?.scene ?? r.describe(), goalPoses: r.goalPoses(), goalPoint: r.goalPoint(),
      goalDepth: depthToGray(r.goalDepth(), size.width, size.height),
      agentDepth: depthToGray(r.agentDepth(), size.width, size.height),
      tasks: this.opts.tasks, planners: this.opts.planners, paused: this.paused, speed: this.speed, tally: { ...this.tally },
    };
  }

  private async resetEpisode(seed: number): Promise<void> {
    this.episodeOver = false;
    this.generation++;
    this.prefetch = null;
    await this.runner.reset(seed);
    this.prev = this.captureNow();
    this.episode++;
    this.seed = seed;
    this.lastPlan = null;
    this.lastMetrics = null;
    this.player.step = 0;
    this.player.controlDt = this.runner.controlDt;
    this.player.still(this.prev.poses);
    this.player.epoch++;
    this.sink.broadcast(this.sceneMessage(), false);
  }

  /** Sleep, but wake early on a command (pause/step/new episode) so the page feels responsive. */
  private async idle(ms: number): Promise<void> {
    await Promise.race([sleep(ms), new Promise<void>((r) => { this.wake = r; })]);
    this.wake = null;
  }

  private async loop(): Promise<void> {
    let nextSeedIndex = 1;
    while (!this.stopped) {
      try {
        if (this.pendingSwitch) {
          const choice = this.pendingSwitch;
          this.pendingSwitch = null;
          const next = await this.factory(choice);
          this.generation++;
          this.prefetch = null;
          await this.runner.dispose();
          this.runner = next;
          this.pendingReset = this.pendingReset ?? {};
        }
        if (this.episodeOver && (!this.paused || this.stepsRequested > 0)) {
          this.pendingReset = this.pendingReset ?? {};
        }
        if (this.pendingReset) {
          const seed = this.pendingReset.seed ?? deriveSeed(this.opts.seed, nextSeedIndex++);
          this.pendingReset = null;
          await this.resetEpisode(seed);
          continue;
        }
        if (this.paused && this.stepsRequested === 0) {
          await this.idle(100);
          continue;
        }
        if (this.stepsRequested > 0) this.stepsRequested--;
        await this.agentStep();
      } catch (e) {
        this.opts.log?.(`viewer session: ${isUserError(e) ? e.message : (e as Error).stack ?? String(e)}`);
        this.sink.broadcast(this.error(`session error: ${(e as Error).message}`), false);
        await this.idle(1000);
        this.pendingReset = this.pendingReset ?? {};
      }
    }
  }

  /** Run one agent step and record what it left behind (read at once: a prefetch may follow). */
  private async stepAndCapture(): Promise<Captured> {
    const r = this.runner;
    const result = await r.advance();
    return { result, poses: posesToFloats(r.poses()), pusher: r.pusherPosition(), depth: r.agentDepth(), scene: r.describe() };
  }

  private captureNow(): Omit<Captured, 'result'> {
    const r = this.runner;
    return { poses: posesToFloats(r.poses()), pusher: r.pusherPosition(), depth: r.agentDepth(), scene: r.describe() };
  }

  private async agentStep(): Promise<void> {
    const r = this.runner;
    const gen = this.generation;
    const prev = this.prev!;
    const cap = await (this.prefetch ?? this.stepAndCapture());
    this.prefetch = null;
    if (gen !== this.generation || this.stopped) return; // a reset or switch overtook this step
    const result = cap.result;
    // Plan the next step while this one plays back (a worker runner overlaps the two), unless the
    // user is about to change something or the episode is over.
    if (r.concurrent && !result.done && !this.paused && this.stepsRequested === 0 && !this.pendingReset && !this.pendingSwitch) {
      const next = this.stepAndCapture();
      next.catch(() => {}); // a reset/switch may abandon it; its error is not news
      this.prefetch = next;
    }
    this.prev = cap;
    if (result.plan) {
      const size = r.depthSize();
      this.lastPlan = planMessage(result.plan, prev.pusher, r.controlDt, this.episode, this.player.step);
      this.lastMetrics = {
        v: PROTOCOL_VERSION, type: 'metrics', episode: this.episode, step: this.player.step, energy: result.plan.energy,
        planningMs: result.plan.planningMs, agentDepth: depthToGray(prev.depth, size.width, size.height),
      };
      this.sink.broadcast(this.lastPlan, true);
      this.sink.broadcast(this.lastMetrics, true);
    }
    this.player.step = result.step;
    if (cap.scene.bodies.length !== prev.scene.bodies.length) {
      // A burst swaps the bottle for fragments: the body list changed, so a new scene precedes the frames.
      this.player.epoch++;
      this.sink.broadcast(this.sceneMessage(), false);
    }
    const ms = (r.controlDt * 1000) / this.speed;
    this.player.play(prev.poses, cap.poses, ms);
    await sleep(ms);

    if (result.done) {
      const kind = result.outcome.kind;
      this.tally.episodes++;
      if (result.outcome.success) this.tally.success++;
      else if (kind === 'burst') this.tally.burst++;
      else if (kind === 'timeout') this.tally.timeout++;
      else this.tally.failure++;
      this.sink.broadcast({
        v: PROTOCOL_VERSION, type: 'episode', episode: this.episode, steps: result.step, outcome: result.outcome, tally: { ...this.tally },
      }, false);
      await this.idle(((this.opts.holdSeconds ?? 1.5) * 1000) / this.speed);
      this.episodeOver = true;
    }
  }
}
